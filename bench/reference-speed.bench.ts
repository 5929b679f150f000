/**
 * Benchmark (not a test) of issue 12, "reference speed at real widths": the MoE layer forward at two
 * real shapes on every bit-identical kernel variant, measured paired in one process, plus the cost of
 * N at fixed k, parameter generation, and (BENCH_LARGE=1) a full Mixtral-8x7B layer and
 * `golden generate --large`. See bench/README.md for what each line means and how to add torch.
 *
 *   naive       cpu with the naive `linear` loop (linearNaiveCpu), the speed of the code before issue 12
 *   cpu         cpu with the register-tiled loop (the backend named 'cpu')
 *   wasm-1      wasm-simd on this thread only
 *   wasm-2      wasm-simd with its helper thread (the default backend)
 *
 * Every variant's output is compared bit for bit with cpu's in the bench itself (a mismatch aborts).
 * Ratios are taken within one round (the variants run back to back, in rotating order), and the
 * median, min and max over the rounds are printed: on a shared machine the spread says how far to
 * trust them. Run: `npx tsx bench/reference-speed.bench.ts` (BENCH_RUNS, BENCH_LARGE, BENCH_TORCH=0).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBackend, createWasmSimdBackend, initMoEParams, moeForward, randomNormal, randomUniform, type Kernels, type MoEConfig } from '../src/index.js';
import { linearNaiveCpu } from '../src/backends/cpu/linear.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LARGE = process.env.BENCH_LARGE === '1';

const variants: { name: string; kernels: Kernels }[] = [
  { name: 'naive', kernels: { ...cpuBackend, name: 'cpu-naive', linear: (x, w, b) => linearNaiveCpu(x as never, w as never, b as never) } },
  { name: 'cpu', kernels: cpuBackend },
  { name: 'wasm-1', kernels: createWasmSimdBackend({ threads: 1 }) },
  { name: 'wasm-2', kernels: createWasmSimdBackend({ threads: 2 }) },
];

const seconds = (fn: () => unknown) => {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const spread = (v: number[]) => `${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})`;
const sameBits = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** torch's median seconds for the same layer on one thread, with the given BLAS; null when torch is absent. */
function torchSeconds(shape: Shape, blas: 'reference' | 'openblas'): number | null {
  if (process.env.BENCH_TORCH === '0' || !existsSync('/usr/bin/python3')) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  if (blas === 'openblas') {
    const dir = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
    if (!existsSync(join(dir, 'libblas.so.3'))) return null;
    env.LD_LIBRARY_PATH = dir;
  }
  const args = [shape.tokens, shape.hidden, shape.intermediate, shape.experts, shape.k, shape.shared, RUNS].map(String);
  const run = spawnSync('/usr/bin/python3', ['bench/torch_moe.py', ...args], { env, encoding: 'utf8' });
  return run.status === 0 ? Number(run.stdout.trim()) : null;
}

interface Shape { label: string; tokens: number; hidden: number; intermediate: number; experts: number; k: number; shared: number }

function forwardAtShape(shape: Shape): void {
  const config: MoEConfig = { hiddenSize: shape.hidden, numExperts: shape.experts, expertIntermediateSize: shape.intermediate, sharedExpertIntermediateSize: shape.shared, router: { topK: shape.k } };
  let params = {};
  const initSeconds = seconds(() => (params = initMoEParams(config, 0)));
  const x = randomNormal([shape.tokens, shape.hidden], { seed: 0, name: 'inputs.x' });
  const reference = moeForward(x, params, config, { backend: cpuBackend }).output.data;
  const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (const v of variants) if (!sameBits(moeForward(x, params, config, { backend: v.kernels }).output.data, reference)) throw new Error(`${v.name}: output differs from cpu`);
  for (let round = 0; round < RUNS; round++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(round + j) % variants.length];
      times[v.name].push(seconds(() => moeForward(x, params, config, { backend: v.kernels })));
    }
  }
  const ratio = (a: string, b: string) => times[a].map((t, r) => t / times[b][r]);
  console.log(`\n${shape.label}  (parameters ${initSeconds.toFixed(1)} s; outputs of all variants bit-identical)`);
  for (const v of variants) console.log(`  ${v.name.padEnd(7)} forward ${spread(times[v.name])} s`);
  console.log(`  speed-up over naive, median (min–max) of ${RUNS} paired rounds: cpu ${spread(ratio('naive', 'cpu'))}×, wasm-1 ${spread(ratio('naive', 'wasm-1'))}×, wasm-2 ${spread(ratio('naive', 'wasm-2'))}×; two threads over one: ${spread(ratio('wasm-1', 'wasm-2'))}×`);
  for (const blas of ['reference', 'openblas'] as const) {
    const torch = torchSeconds(shape, blas);
    if (torch !== null) console.log(`  torch 1 thread, ${blas === 'openblas' ? 'OpenBLAS' : "Debian's reference BLAS"}: ${torch.toFixed(3)} s; moe-oracle (wasm-2) / torch = ${(median(times['wasm-2']) / torch).toFixed(2)}`);
  }
}

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${RUNS} rounds`);
forwardAtShape({ label: 'T=128, H=1024, I=3584, N=8, k=2', tokens: 128, hidden: 1024, intermediate: 3584, experts: 8, k: 2, shared: 0 });
forwardAtShape({ label: 'T=128, H=1024, I=512, N=64, k=8, shared 1024', tokens: 128, hidden: 1024, intermediate: 512, experts: 64, k: 8, shared: 1024 });

// Cost of N at fixed k (default backend): only k experts work per token.
{
  const perN: Record<number, number[]> = { 8: [], 256: [] };
  const layers = [8, 256].map((N) => {
    const config: MoEConfig = { hiddenSize: 512, numExperts: N, expertIntermediateSize: 256, router: { topK: 2 } };
    return { N, config, params: initMoEParams(config, 0) };
  });
  const x = randomNormal([128, 512], { seed: 0, name: 'inputs.x' });
  for (const l of layers) moeForward(x, l.params, l.config); // warm-up, and the one-time weight checks
  for (let round = 0; round < RUNS * 2; round++) for (const l of layers) perN[l.N].push(seconds(() => moeForward(x, l.params, l.config)));
  console.log(`\nN=256 / N=8 at k=2 (T=128, H=512, I=256, default backend): ${spread(perN[256].map((t, r) => t / perN[8][r]))}`);
}

// Parameter generation.
{
  const count = 1 << 24;
  const uniform = seconds(() => randomUniform([count], { seed: 0, name: 'experts.0.w1.weight', low: -0.01, high: 0.01 }));
  const normal = seconds(() => randomNormal([count / 4], { seed: 0, name: 'inputs.x' }));
  console.log(`\nparameter generation: uniform ${((uniform / count) * 1e9).toFixed(1)} ns/element, normal ${((normal / (count / 4)) * 1e9).toFixed(1)} ns/element`);
}

if (LARGE) {
  const config: MoEConfig = { hiddenSize: 4096, numExperts: 8, expertIntermediateSize: 14336, router: { topK: 2 } };
  let params = {};
  const init = seconds(() => (params = initMoEParams(config, 0)));
  const x = randomNormal([16, 4096], { seed: 0, name: 'inputs.x' });
  const forward = seconds(() => moeForward(x, params, config));
  console.log(`\nfull Mixtral-8x7B layer, T=16 (default backend): parameters ${init.toFixed(1)} s + forward ${forward.toFixed(1)} s = ${(init + forward).toFixed(1)} s, RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(1)} GiB`);
  params = {};
  const out = mkdtempSync(join(tmpdir(), 'moe-oracle-large-'));
  try {
    const start = Date.now();
    const script = `import('./src/cli/main.ts').then(async (cli) => { process.exitCode = await cli.main(['golden', 'generate', '--large', '--out', ${JSON.stringify(out)}]); })`;
    const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const peakKiB = Number(run.stderr.trim().split('\n').pop());
    console.log(`golden generate --large (exit ${run.status}): ${((Date.now() - start) / 1000).toFixed(1)} s, peak RSS ${(peakKiB / 2 ** 20).toFixed(2)} GiB`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
process.exit(0); // the helper threads are unref'd; exit without waiting for the event loop
