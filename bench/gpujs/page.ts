// The page half of `npm run verify:gpu` and of bench/gpujs.bench.ts: bundled by esbuild
// (bench/gpujs/browser.ts) with gpu.js and moe-oracle into one script, loaded in Chromium from
// 127.0.0.1. It verifies the gpujs backend in a gpu.js browser mode on every committed golden case
// (fetched from /golden/), and times the MoE layer for the benchmark.
import gpujs from 'gpu.js';
import { BENCH_SIZES } from './bench-sizes.js';
import { createGpujsBackend, initMoEParams, moeForward, moeForwardAsync, randomNormal, verifyCasesOn, type CaseEntry, type GpuLike, type MoEConfig } from '../../src/index.js';

const { GPU } = gpujs as unknown as { GPU: (new (settings: { mode: string }) => GpuLike) & { isWebGPUAvailable(): Promise<boolean> } };

async function openGpu(mode: string): Promise<{ gpu: GpuLike } | { notRun: string }> {
  try {
    if (mode === 'webgpu' && !(await GPU.isWebGPUAvailable())) return { notRun: 'navigator.gpu gave no adapter' };
    const gpu = new GPU({ mode });
    if (gpu.mode !== mode) return { notRun: `gpu.js chose mode '${gpu.mode}' instead of '${mode}'` };
    return { gpu };
  } catch (error) {
    return { notRun: `gpu.js could not start mode '${mode}': ${String((error as Error).message).split('\n')[0]}` };
  }
}

async function verifyMode(mode: string) {
  const opened = await openGpu(mode);
  if ('notRun' in opened) return { mode, notRun: opened.notRun };
  const backend = createGpujsBackend(opened.gpu);
  const index = (await (await fetch('/golden/index.json')).json()) as { cases: CaseEntry[] };
  const started = performance.now();
  const results = await verifyCasesOn(index.cases, async (file) => new Uint8Array(await (await fetch(`/golden/${file}`)).arrayBuffer()), backend);
  backend.destroy();
  return { mode, results, seconds: (performance.now() - started) / 1000 };
}

/** Median milliseconds of MoE forward passes per size on one mode (after a warm-up pass that compiles the kernels). */
async function benchMode(mode: string) {
  const opened = await openGpu(mode);
  if ('notRun' in opened) return [{ mode, notRun: opened.notRun }];
  const backend = createGpujsBackend(opened.gpu);
  const rows = [];
  for (const size of BENCH_SIZES) {
    const config: MoEConfig = { hiddenSize: size.hidden, numExperts: size.experts, expertIntermediateSize: size.intermediate, router: { topK: size.topK } };
    const params = initMoEParams(config, 0);
    const x = randomNormal([size.tokens, size.hidden], { seed: 0, name: 'inputs.x' });
    const forward = () => (backend.synchronous ? Promise.resolve(moeForward(x, params, config, { backend })) : moeForwardAsync(x, params, config, { backend }));
    await forward();
    const times: number[] = [];
    for (let r = 0; r < size.runs; r++) {
      const started = performance.now();
      await forward();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    rows.push({ mode, size: size.label, milliseconds: times[Math.floor(times.length / 2)] });
  }
  backend.destroy();
  return rows;
}

(globalThis as Record<string, unknown>).moeOracleGpujs = { verifyMode, benchMode };
