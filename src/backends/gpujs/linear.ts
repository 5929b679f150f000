/**
 * gpu.js kernels `linear` and `batchedMatmul`, beside the cpu loops they mirror
 * (src/backends/cpu/linear.ts, src/backends/cpu/matmul.ts).
 *
 *   linear         y[t, o] = Σ_i x[t, i] · W[o, i]  (+ b[o])      x [T, in], W [out, in], b [out] → [T, out]
 *   batchedMatmul  c[b, i, j] = Σ_p a[b, i, p] · B[g, p, j]        a [B, M, K], B [Bb, K, N] → [B, M, N]
 *                  (transposeB: B[g, j, p], i.e. a · Bᵀ)           a [B, M, K], B [Bb, N, K] → [B, M, N]
 *                  g = ⌊b / group⌋, group = B / Bb query heads per key/value head (GQA, MQA)
 *
 * One thread per output element; the dot product runs in float32 in increasing index order (the cpu
 * reference sums the same terms in float64 and rounds once), so results differ from cpu by float32
 * rounding that grows like √K: the tolerance model of `verify` (K = in) is built for exactly that.
 *
 * The cpu loop, for comparison:
 *     for t, o:  sum = 0 (float64);  for i < in: sum += x[t·in + i] · W[o·in + i];  y[t·out + o] = sum (+ b[o])
 */
import type { ArgumentTypes, KernelThis } from './runtime.js';

export function linearKernel(this: KernelThis, x: Float32Array, weight: Float32Array, inFeatures: number, outFeatures: number): number {
  const t = Math.floor((this.thread.x + 0.5) / outFeatures);
  const o = this.thread.x - t * outFeatures;
  let sum = 0;
  for (let i = 0; i < inFeatures; i++) sum += x[t * inFeatures + i] * weight[o * inFeatures + i];
  return sum;
}
export const LINEAR_TYPES: ArgumentTypes = { x: 'Array', weight: 'Array', inFeatures: 'Integer', outFeatures: 'Integer' };

/** The same dot product, then the bias (added last, as in the cpu loop). */
export function linearBiasKernel(this: KernelThis, x: Float32Array, weight: Float32Array, bias: Float32Array, inFeatures: number, outFeatures: number): number {
  const t = Math.floor((this.thread.x + 0.5) / outFeatures);
  const o = this.thread.x - t * outFeatures;
  let sum = 0;
  for (let i = 0; i < inFeatures; i++) sum += x[t * inFeatures + i] * weight[o * inFeatures + i];
  return sum + bias[o];
}
export const LINEAR_BIAS_TYPES: ArgumentTypes = { x: 'Array', weight: 'Array', bias: 'Array', inFeatures: 'Integer', outFeatures: 'Integer' };

/** batchedMatmul, b [Bb, K, N]: element (b, i, j) sums a[b, i, p] · B[⌊b / group⌋, p, j] (`batch` below is that b-head). */
export function matmulKernel(this: KernelThis, a: Float32Array, b: Float32Array, rows: number, inner: number, columns: number, group: number): number {
  const batchRow = Math.floor((this.thread.x + 0.5) / columns);
  const j = this.thread.x - batchRow * columns;
  const batch = Math.floor((Math.floor((batchRow + 0.5) / rows) + 0.5) / group);
  let sum = 0;
  for (let p = 0; p < inner; p++) sum += a[batchRow * inner + p] * b[(batch * inner + p) * columns + j];
  return sum;
}

/** batchedMatmul with transposeB, b [Bb, N, K]: element (b, i, j) sums a[b, i, p] · B[⌊b / group⌋, j, p]. */
export function matmulTransposedKernel(this: KernelThis, a: Float32Array, b: Float32Array, rows: number, inner: number, columns: number, group: number): number {
  const batchRow = Math.floor((this.thread.x + 0.5) / columns);
  const j = this.thread.x - batchRow * columns;
  const batch = Math.floor((Math.floor((batchRow + 0.5) / rows) + 0.5) / group);
  let sum = 0;
  for (let p = 0; p < inner; p++) sum += a[batchRow * inner + p] * b[(batch * columns + j) * inner + p];
  return sum;
}
export const MATMUL_TYPES: ArgumentTypes = { a: 'Array', b: 'Array', rows: 'Integer', inner: 'Integer', columns: 'Integer', group: 'Integer' };
