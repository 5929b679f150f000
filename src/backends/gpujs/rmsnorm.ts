/**
 * gpu.js kernel `rmsNorm`, beside the cpu loop it mirrors (src/backends/cpu/rmsnorm.ts):
 *
 *   y[t, h] = x[t, h] / √(mean_h(x[t, h]²) + eps) · w[h]          x [T, H], w [H] → [T, H]
 *
 * Two passes: the sum of squares of each row [T] (float32, index order), then every element.
 */
import type { ArgumentTypes, KernelThis } from './runtime.js';

export function sumOfSquaresKernel(this: KernelThis, x: Float32Array, hidden: number): number {
  let sum = 0;
  for (let h = 0; h < hidden; h++) {
    const v = x[this.thread.x * hidden + h];
    sum += v * v;
  }
  return sum;
}
export const SUM_OF_SQUARES_TYPES: ArgumentTypes = { x: 'Array', hidden: 'Integer' };

export function rmsNormalizeKernel(this: KernelThis, x: Float32Array, weight: Float32Array, sumOfSquares: Float32Array, hidden: number, eps: number): number {
  const t = Math.floor((this.thread.x + 0.5) / hidden);
  const h = this.thread.x - t * hidden;
  const inverseRms = 1 / Math.sqrt(sumOfSquares[t] / hidden + eps);
  return x[this.thread.x] * inverseRms * weight[h];
}
export const RMS_NORMALIZE_TYPES: ArgumentTypes = { x: 'Array', weight: 'Array', sumOfSquares: 'Array', hidden: 'Integer', eps: 'Float' };
