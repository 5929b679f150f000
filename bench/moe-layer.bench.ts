/**
 * Benchmark (not a test): MoE layer forward at T = 256 tokens, hidden 512, expert size 1024, k = 2,
 * for N = 8 and N = 64 experts, measured in one run, plus the GFLOP/s of the `linear` op.
 *
 * Only k experts work per token, so the N = 64 layer does the same arithmetic as the N = 8 one (the
 * router aside). With the fast kernels the forward is bound by reading each touched expert's weights
 * rather than by arithmetic, so the printed ratio N64/N8 measures that cost (README, Performance).
 * Each figure is the median of several runs after one warm-up. Run: `npm run bench`.
 */
import { initMoEParams, linear, moeForward, randomNormal, randomUniform, type MoEConfig } from '../src/index.js';

const TOKENS = 256;
const HIDDEN = 512;
const EXPERT_SIZE = 1024;
const TOP_K = 2;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function medianSeconds(fn: () => unknown, runs: number): number {
  fn(); // warm-up (JIT)
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const x = randomNormal([TOKENS, HIDDEN], { seed: 0, name: 'bench.x' });

// linear: x [256, 512] · W [1024, 512]ᵀ = 2·256·512·1024 FLOP
const weight = randomUniform([EXPERT_SIZE, HIDDEN], { seed: 0, name: 'bench.w', low: -0.05, high: 0.05 });
const linearSeconds = medianSeconds(() => linear(x, weight), RUNS);
const linearGflops = (2 * TOKENS * HIDDEN * EXPERT_SIZE) / linearSeconds / 1e9;

const layerSeconds: Record<number, number> = {};
for (const numExperts of [8, 64]) {
  const config: MoEConfig = { hiddenSize: HIDDEN, numExperts, expertIntermediateSize: EXPERT_SIZE, router: { topK: TOP_K } };
  const initStart = process.hrtime.bigint();
  const params = initMoEParams(config, 0);
  const initSeconds = Number(process.hrtime.bigint() - initStart) / 1e9;
  layerSeconds[numExperts] = medianSeconds(() => moeForward(x, params, config), RUNS);
  const flops = 2 * TOKENS * TOP_K * 3 * HIDDEN * EXPERT_SIZE + 2 * TOKENS * HIDDEN * numExperts;
  console.log(
    `MoE forward N=${String(numExperts).padStart(2)}: ${(layerSeconds[numExperts] * 1e3).toFixed(1)} ms ` +
      `(${(flops / layerSeconds[numExperts] / 1e9).toFixed(2)} GFLOP/s; parameter init ${initSeconds.toFixed(1)} s)`,
  );
}
console.log(`linear [${TOKENS}x${HIDDEN}]·[${EXPERT_SIZE}x${HIDDEN}]ᵀ: ${(linearSeconds * 1e3).toFixed(1)} ms, ${linearGflops.toFixed(2)} GFLOP/s`);
console.log(`ratio N64/N8: ${(layerSeconds[64] / layerSeconds[8]).toFixed(3)} (the same k = ${TOP_K} experts' arithmetic per token; the rest is reading the touched experts' weights)`);
console.log(`(median of ${RUNS} runs each, node ${process.version}, one process)`);
