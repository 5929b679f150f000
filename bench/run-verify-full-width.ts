/**
 * Benchmark (not a test): `moe-oracle run` and `verify` on a full-width fp32 Mixtral-8x7B layer
 * (H 4096, I 14336, 8 experts, top-2; 8 · 3 · 4096 · 14336 · 4 bytes ≈ 5.6 GB of weights), the size a
 * kernel author checks a kernel at. Measures wall time and peak memory (the child process's maximum
 * resident set size) of each command, in one run:
 *
 *   1. writes in.safetensors (inputs.x and params.*, one tensor in memory at a time) with the case
 *      metadata — generated on demand, never committed, removed afterwards (BENCH_KEEP=1 keeps it).
 *      The weights are uniform in ±1/√fan_in from a fast xorshift32 stream per tensor (the Philox
 *      streams of initMoEParams would take a quarter of an hour for 1.4 billion values; the bench
 *      measures reading and computing, not generating);
 *   2. `run moe --in in --out out`                 (outputs only)
 *   3. `run moe --in in --out golden --with-inputs` (a self-contained golden file, ≈ 5.6 GB)
 *   4. `verify --golden golden --actual out`        (must PASS; reads the outputs only)
 *   5. `verify` of a backend whose token 0 lists its two experts (and their weights) in the other
 *      order: the same set, so it passes, but the indices differ, so verify replays the whole layer
 *      on the backend's routing (the worst case of verify)
 *
 * Run: `npm run bench:large` (needs ≈ 12 GB of free disk in BENCH_DIR, default the OS temp folder).
 * BENCH_TOKENS sets T (default 16).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPONENTS } from '../src/golden/components.js';
import { readSafetensorsFile, writeSafetensorsFile, writeSafetensorsStream, type TensorToWrite } from '../src/golden/safetensors.js';
import { intTensor, tensor, type IntTensor, type Tensor } from '../src/tensor/tensor.js';
import { moeParameterShapes } from '../src/moe/params.js';
import { randomNormal } from '../src/tensor/prng.js';
import type { MoEConfig } from '../src/moe/config.js';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 16);
const SEED = 8;
const config: MoEConfig = { hiddenSize: 4096, numExperts: 8, router: { topK: 2 }, expertIntermediateSize: 14336 };
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'moe-oracle-full-width-'));
const cli = fileURLToPath(new URL('./measure-cli.ts', import.meta.url));

/** `count` values uniform in [−bound, bound) from xorshift32 seeded by the tensor's index (fast, not Philox). */
function fastUniform(count: number, bound: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    values[i] = (state / 4294967296) * 2 * bound - bound;
  }
  return values;
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** Runs one CLI command in a child process; returns its exit code, seconds and peak RSS in bytes. */
function measure(args: string[]): { code: number; seconds: number; peakBytes: number; output: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = child.stderr.trim().split('\n').at(-1) ?? '';
  const measured = JSON.parse(last.startsWith('{') ? last : '{"code":-1,"seconds":0,"maxRssKiB":0}');
  return { code: measured.code, seconds: measured.seconds, peakBytes: measured.maxRssKiB * 1024, output: child.stdout + child.stderr };
}

try {
  const input = join(dir, 'in.safetensors');
  const started = Date.now();
  const tensors: TensorToWrite[] = [
    { name: 'inputs.x', dtype: 'F32', shape: [TOKENS, config.hiddenSize], values: () => randomNormal([TOKENS, config.hiddenSize], { seed: SEED, name: 'inputs.x' }).data },
    ...moeParameterShapes(config).map(({ name, shape }, index): TensorToWrite => {
      const bound = 1 / Math.sqrt(shape[shape.length - 1]);
      return { name: `params.${name}`, dtype: 'F32', shape, values: () => fastUniform(shape.reduce((a, b) => a * b, 1), bound, SEED + index) };
    }),
  ];
  const metadata = { case: 'bench/mixtral-full-width', component: 'moe', config: JSON.stringify(COMPONENTS.moe.configToJson(COMPONENTS.moe.parseConfig(config))), seed: String(SEED) };
  writeSafetensorsStream(input, tensors, metadata);
  console.log(`generated ${input}: ${gigabytes(statSync(input).size)} in ${((Date.now() - started) / 1000).toFixed(1)} s (T = ${TOKENS}, H 4096, I 14336, 8 experts, top-2)`);

  const out = join(dir, 'out.safetensors');
  const golden = join(dir, 'golden.safetensors');
  const reordered = join(dir, 'reordered.safetensors');
  const steps: Array<[string, string[], () => void]> = [
    ['run', ['run', 'moe', '--in', input, '--out', out], () => {}],
    ['run --with-inputs', ['run', 'moe', '--in', input, '--out', golden, '--with-inputs'], () => {}],
    ['verify', ['verify', '--golden', golden, '--actual', out], () => {}],
    ['verify (replay)', ['verify', '--golden', golden, '--actual', reordered], () => {
      const outputs = readSafetensorsFile(out).tensors;
      const indices = outputs['outputs.topk_indices'] as IntTensor;
      const weights = outputs['outputs.topk_weights'] as Tensor;
      const swappedIndices = new Int32Array(indices.data);
      const swappedWeights = new Float32Array(weights.data);
      [swappedIndices[0], swappedIndices[1]] = [swappedIndices[1], swappedIndices[0]];
      [swappedWeights[0], swappedWeights[1]] = [swappedWeights[1], swappedWeights[0]];
      writeSafetensorsFile(reordered, {
        ...Object.fromEntries(Object.keys(outputs).map((n) => [n, outputs[n]])),
        'outputs.topk_indices': intTensor(swappedIndices, indices.shape),
        'outputs.topk_weights': tensor(swappedWeights, weights.shape),
      });
    }],
  ];
  for (const [label, args, prepare] of steps) {
    prepare();
    const result = measure(args);
    console.log(`${label.padEnd(18)} exit ${result.code}  ${result.seconds.toFixed(1)} s  peak memory ${gigabytes(result.peakBytes)}`);
    if (result.code !== 0) {
      console.log(result.output);
      process.exitCode = 1;
      break;
    }
  }
  const baseline = measure(['--version']);
  console.log(`${'(node + tsx only)'.padEnd(18)} exit ${baseline.code}  ${baseline.seconds.toFixed(1)} s  peak memory ${gigabytes(baseline.peakBytes)}`);
  console.log(`goal: peak memory under 1.5 GB for run and verify of the ${gigabytes(statSync(input).size)} layer`);
} finally {
  if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
