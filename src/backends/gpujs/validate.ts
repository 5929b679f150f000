/**
 * Validation of each gpujs kernel against the cpu loop it mirrors, llm.c style (dev/cuda/*.cu: a CPU
 * reference, the GPU variants, then `validate_result`): every kernel of the seam runs on random inputs
 * on both backends, and the gpujs result is judged by the tolerance model of `verify`
 * (src/golden/tolerance.ts: fp32, K = the kernel's reduction length, magnitude = RMS of the reference).
 *
 *   kernel           shapes                                          K
 *   linear (+bias)   x [7, 40], W [9, 40], b [9]                    40 (+1)
 *   batchedMatmul    a [3, 5, 33] · b [3, 33, 6] (and b [3, 6, 33]ᵀ) 33
 *   activation       x [300], from −12 to 12                         1
 *   siluAndMul       [6, 50]                                         1
 *   softmax          z [5, 17] with one −Infinity per row            17
 *   logSumExp        z [5, 17]                                       17
 *   maskedSoftmax    s [2, 4, 6], scale 0.3, causal offset 2         6
 *   rmsNorm          x [4, 48], w [48], eps 1e-6                     48
 *   gatherRows       x [6, 10], rows [5, 0, 5, 2]                    exact
 *   scatterRows      two parts into [7, 10] (row 3 unwritten)        exact
 *   combine (+shared) w [5, 3], slots [15, 8], shared [5, 8], g [5]  3 (+1)
 *   batchedMatmul    a [4, 5, 33] · b [2, 33, 6] (two query heads per key/value head)   33
 *   clampedSwiGLU    [6, 50], α = 1.702, limit 7                     1
 *   splitHeads       x [5, 30] → [3, 5, 6], start 2, stride 8        exact
 *   mergeHeads       [3, 5, 6] → [5, 18]                             exact
 *   concatLastAxis   [3, 4, 5], [1, 4, 2], [3, 4, 3] → [3, 4, 10]    exact
 *   rope             x [2, 6, 8], positions up to 4097, each layout  1
 */
import { compareTensors, type TensorComparison } from '../../golden/compare.js';
import { defaultTolerance, referenceMagnitude } from '../../golden/tolerance.js';
import { randomNormal, randomUniform } from '../../tensor/prng.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { ACTIVATIONS } from '../../tensor/activations.js';
import { cpuBackend } from '../cpu/index.js';
import { checkKernels } from '../registry.js';
import type { DeviceTensor, Kernels } from '../kernels.js';

/** One kernel check: the comparison of the backend's result with cpu's, and the K it was judged with. */
export interface KernelValidation {
  kernel: string;
  reductionLength: number;
  comparison: TensorComparison;
}

const normal = (shape: number[], name: string, std = 1) => randomNormal(shape, { seed: 13, name, std });

/** Runs each kernel on `backend` and on cpu, compares (reads back with `read`, so any backend). */
export async function validateKernels(backend: Kernels): Promise<KernelValidation[]> {
  checkKernels('backend', backend);
  const checks: Array<{ kernel: string; reductionLength: number; run: (k: Kernels) => DeviceTensor }> = [];
  const x = normal([7, 40], 'x');
  const w = normal([9, 40], 'w');
  const b = normal([9], 'b');
  checks.push({ kernel: 'linear', reductionLength: 40, run: (k) => k.linear(k.upload(x), k.upload(w)) });
  checks.push({ kernel: 'linear+bias', reductionLength: 41, run: (k) => k.linear(k.upload(x), k.upload(w), k.upload(b)) });
  const a3 = normal([3, 5, 33], 'a');
  const b3 = normal([3, 33, 6], 'b3');
  const b3t = normal([3, 6, 33], 'b3t');
  checks.push({ kernel: 'batchedMatmul', reductionLength: 33, run: (k) => k.batchedMatmul(k.upload(a3), k.upload(b3)) });
  checks.push({ kernel: 'batchedMatmul transposeB', reductionLength: 33, run: (k) => k.batchedMatmul(k.upload(a3), k.upload(b3t), { transposeB: true }) });
  const grid = randomUniform([300], { seed: 13, name: 'grid', low: -12, high: 12 });
  for (const name of ACTIVATIONS) checks.push({ kernel: `activation ${name}`, reductionLength: 1, run: (k) => k.activation(k.upload(grid), name) });
  const gate = normal([6, 50], 'gate', 3);
  const up = normal([6, 50], 'up');
  checks.push({ kernel: 'siluAndMul', reductionLength: 1, run: (k) => k.siluAndMul(k.upload(gate), k.upload(up)) });
  const z = normal([5, 17], 'z', 4);
  for (let r = 0; r < 5; r++) z.data[r * 17 + ((r * 7) % 17)] = -Infinity;
  checks.push({ kernel: 'softmax', reductionLength: 17, run: (k) => k.softmax(k.upload(z)) });
  checks.push({ kernel: 'logSumExp', reductionLength: 17, run: (k) => k.logSumExp(k.upload(z)) });
  const s = normal([2, 4, 6], 's', 3);
  checks.push({ kernel: 'maskedSoftmax', reductionLength: 6, run: (k) => k.maskedSoftmax(k.upload(s), { scale: 0.3, causalOffset: 2 }) });
  const xn = normal([4, 48], 'xn', 2);
  const wn = randomUniform([48], { seed: 13, name: 'wn', low: 0.5, high: 1.5 });
  checks.push({ kernel: 'rmsNorm', reductionLength: 48, run: (k) => k.rmsNorm(k.upload(xn), k.upload(wn), 1e-6) });
  const rowsSource = normal([6, 10], 'rows');
  checks.push({ kernel: 'gatherRows', reductionLength: 1, run: (k) => k.gatherRows(k.upload(rowsSource), Int32Array.from([5, 0, 5, 2])) });
  const partA = normal([2, 10], 'partA');
  const partB = normal([4, 10], 'partB');
  checks.push({
    kernel: 'scatterRows', reductionLength: 1,
    run: (k) => k.scatterRows([{ values: k.upload(partA), rows: Int32Array.from([6, 0]) }, { values: k.upload(partB), rows: Int32Array.from([1, 5, 2, 4]) }], 7, 10),
  });
  const weights = randomUniform([5, 3], { seed: 13, name: 'weights' });
  const slots = normal([15, 8], 'slots');
  const shared = normal([5, 8], 'shared');
  const sharedGate = tensor(randomUniform([5], { seed: 13, name: 'g' }).data, [5, 1]);
  checks.push({ kernel: 'combine', reductionLength: 3, run: (k) => k.combine(k.upload(weights), k.upload(slots)) });
  checks.push({ kernel: 'combine+shared', reductionLength: 4, run: (k) => k.combine(k.upload(weights), k.upload(slots), { output: k.upload(shared), gate: k.upload(sharedGate) }) });

  const a4 = normal([4, 5, 33], 'a4');
  checks.push({ kernel: 'batchedMatmul grouped', reductionLength: 33, run: (k) => k.batchedMatmul(k.upload(a4), k.upload(b3.pick(null, null, null).hi(2) as Tensor)) });
  checks.push({ kernel: 'clampedSwiGLU', reductionLength: 1, run: (k) => k.clampedSwiGLU(k.upload(gate), k.upload(up), { alpha: 1.702, limit: 7 }) });
  const wide = normal([5, 30], 'wide');
  checks.push({ kernel: 'splitHeads', reductionLength: 1, run: (k) => k.splitHeads(k.upload(wide), 3, { start: 2, width: 6, stride: 8 }) });
  const heads = normal([3, 5, 6], 'heads');
  checks.push({ kernel: 'mergeHeads', reductionLength: 1, run: (k) => k.mergeHeads(k.upload(heads)) });
  const [c1, c2, c3] = [normal([3, 4, 5], 'c1'), normal([1, 4, 2], 'c2'), normal([3, 4, 3], 'c3')];
  checks.push({ kernel: 'concatLastAxis', reductionLength: 1, run: (k) => k.concatLastAxis([k.upload(c1), k.upload(c2), k.upload(c3)]) });
  const rx = normal([2, 6, 8], 'rope');
  const positions = Int32Array.from([0, 1, 2, 17, 300, 4097]);
  const inverseFrequencies = Float64Array.from({ length: 4 }, (_, i) => 10000 ** (-i / 4));
  for (const layout of ['interleaved', 'half', 'hf-interleave'] as const) {
    checks.push({ kernel: `rope ${layout}`, reductionLength: 1, run: (k) => k.rope(k.upload(rx), { positions, inverseFrequencies, attentionFactor: 1.1, layout }) });
  }

  const results: KernelValidation[] = [];
  for (const check of checks) {
    const reference = cpuBackend.readSync(check.run(cpuBackend)) as Tensor;
    const actual = await backend.read(check.run(backend));
    const tolerance = defaultTolerance({ dtype: 'fp32', reductionLength: check.reductionLength, magnitude: referenceMagnitude(reference) });
    results.push({ kernel: check.kernel, reductionLength: check.reductionLength, comparison: compareTensors(check.kernel, reference, actual, tolerance) });
  }
  return results;
}
