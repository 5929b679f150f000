/**
 * gpu.js kernels `softmax`, `logSumExp` and `maskedSoftmax`, beside the cpu loops they mirror
 * (src/backends/cpu/softmax.ts, row functions in src/tensor/softmax.ts):
 *
 *   m_r = max_j s_rj,   softmax_rj = e^(s_rj − m_r) / Σ_j e^(s_rj − m_r),   logSumExp_r = m_r + ln Σ_j e^(s_rj − m_r)
 *
 * over the visible entries of each row: s = scale · scores, entry j of row i visible when
 * j ≤ i + causalOffset (maskedSoftmax; softmax and logSumExp are the unmasked, scale-1 case) and not
 * −Infinity (a masked logit). Invisible entries get exactly 0, as in the cpu reference.
 *
 * Three passes, one kernel each, as a GPU softmax is usually written (llm.c dev/cuda/softmax_forward.cu
 * "kernel 1"): the row maximum [rows], the row sum of exponentials [rows], then every element
 * [rows, columns] (or the row's log-sum-exp [rows]). Each thread sums its row in float32 in index order.
 *
 * −Infinity: a shader cannot spell it, so an entry below −3·10³⁸ counts as −Infinity (a finite
 * float32 logit that low has probability 0 next to any ordinary one anyway); the running maximum
 * starts at −3.4·10³⁸, the lowest float32 short of −Infinity.
 */
import type { ArgumentTypes, KernelThis } from './runtime.js';

/** Entries of row `row` that are visible: min(columns, max(0, i + causalOffset + 1)), i = row mod rowsPerBatch. */
export function rowMaxKernel(this: KernelThis, scores: Float32Array, rowsPerBatch: number, columns: number, scale: number, causalOffset: number): number {
  const row = this.thread.x;
  const i = row - Math.floor((row + 0.5) / rowsPerBatch) * rowsPerBatch;
  const visible = Math.min(columns, Math.max(0, i + causalOffset + 1));
  let max = -3.4e38;
  for (let j = 0; j < columns; j++) {
    const s = scores[row * columns + j];
    if (j < visible && s > -3e38) max = Math.max(max, scale * s);
  }
  return max;
}

export function rowSumExpKernel(this: KernelThis, scores: Float32Array, rowMax: Float32Array, rowsPerBatch: number, columns: number, scale: number, causalOffset: number): number {
  const row = this.thread.x;
  const i = row - Math.floor((row + 0.5) / rowsPerBatch) * rowsPerBatch;
  const visible = Math.min(columns, Math.max(0, i + causalOffset + 1));
  const max = rowMax[row];
  let sum = 0;
  for (let j = 0; j < columns; j++) {
    const s = scores[row * columns + j];
    if (j < visible && s > -3e38) sum += Math.exp(scale * s - max);
  }
  return sum;
}

export function softmaxNormalizeKernel(this: KernelThis, scores: Float32Array, rowMax: Float32Array, rowSum: Float32Array, rowsPerBatch: number, columns: number, scale: number, causalOffset: number): number {
  const row = Math.floor((this.thread.x + 0.5) / columns);
  const j = this.thread.x - row * columns;
  const i = row - Math.floor((row + 0.5) / rowsPerBatch) * rowsPerBatch;
  const visible = Math.min(columns, Math.max(0, i + causalOffset + 1));
  const s = scores[this.thread.x];
  if (j < visible && s > -3e38) return Math.exp(scale * s - rowMax[row]) / rowSum[row];
  return 0;
}

export function logSumExpKernel(this: KernelThis, rowMax: Float32Array, rowSum: Float32Array): number {
  return rowMax[this.thread.x] + Math.log(rowSum[this.thread.x]);
}

export const ROW_MAX_TYPES: ArgumentTypes = { scores: 'Array', rowsPerBatch: 'Integer', columns: 'Integer', scale: 'Float', causalOffset: 'Integer' };
export const ROW_SUM_TYPES: ArgumentTypes = { scores: 'Array', rowMax: 'Array', rowsPerBatch: 'Integer', columns: 'Integer', scale: 'Float', causalOffset: 'Integer' };
export const NORMALIZE_TYPES: ArgumentTypes = { scores: 'Array', rowMax: 'Array', rowSum: 'Array', rowsPerBatch: 'Integer', columns: 'Integer', scale: 'Float', causalOffset: 'Integer' };
export const LOG_SUM_EXP_TYPES: ArgumentTypes = { rowMax: 'Array', rowSum: 'Array' };
