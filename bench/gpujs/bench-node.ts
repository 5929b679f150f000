// The Node half of bench/gpujs.bench.ts: median ms of the MoE layer forward on the cpu reference and
// on gpu.js's Node modes, one JSON line per (mode, size). Run under xvfb-run -a for headlessgl.
import { createGpujsBackend, initMoEParams, moeForward, randomNormal, type Kernels, type MoEConfig } from '../../src/index.js';
import { openGpu } from './open-gpu.js';
import { BENCH_SIZES } from './bench-sizes.js';

function median(forward: () => void, runs: number): number {
  forward(); // warm-up: compiles the kernels
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    forward();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

for (const mode of ['reference', ...process.argv.slice(2)]) {
  let backend: Kernels | undefined;
  if (mode !== 'reference') {
    const opened = await openGpu(mode);
    if ('notRun' in opened) {
      console.log(JSON.stringify({ mode, notRun: opened.notRun }));
      continue;
    }
    backend = createGpujsBackend(opened.gpu);
  }
  for (const size of BENCH_SIZES) {
    const config: MoEConfig = { hiddenSize: size.hidden, numExperts: size.experts, expertIntermediateSize: size.intermediate, router: { topK: size.topK } };
    const params = initMoEParams(config, 0);
    const x = randomNormal([size.tokens, size.hidden], { seed: 0, name: 'inputs.x' });
    console.log(JSON.stringify({ mode, size: size.label, milliseconds: median(() => moeForward(x, params, config, { backend }), size.runs) }));
  }
}
