/**
 * gpu.js kernels of dispatch and combine, beside the cpu loops they mirror
 * (src/backends/cpu/gather-combine.ts):
 *
 *   gatherRows(x, rows)        x [T, H] → [n, H]:   out[r, h] = x[rows[r], h]
 *   scatterRows(parts, R, H)   → [R, H]:            out[row, h] = values[source[row], h], 0 where no part writes
 *   combine(w, slots, shared)  y[t, h] = Σ_{j<k} w[t, j] · slots[t·k + j, h]  (+ g[t] · shared[t, h])
 *
 * Row indices travel as float32 (exact below 2^24). scatterRows: the parts' values are laid end to end
 * (on the host, where this backend keeps tensors between kernels) and `source` says which of those
 * rows lands in each output row (−1: none). The combine adds the k routed terms in rank order, then
 * the shared term, in float32 (the cpu reference: float64, one rounding).
 */
import type { ArgumentTypes, KernelThis } from './runtime.js';

export function gatherRowsKernel(this: KernelThis, x: Float32Array, rows: Float32Array, hidden: number): number {
  const r = Math.floor((this.thread.x + 0.5) / hidden);
  const h = this.thread.x - r * hidden;
  return x[rows[r] * hidden + h];
}
export const GATHER_TYPES: ArgumentTypes = { x: 'Array', rows: 'Array', hidden: 'Integer' };

export function scatterRowsKernel(this: KernelThis, values: Float32Array, source: Float32Array, hidden: number): number {
  const row = Math.floor((this.thread.x + 0.5) / hidden);
  const h = this.thread.x - row * hidden;
  const from = source[row];
  if (from < 0) return 0;
  return values[from * hidden + h];
}
export const SCATTER_TYPES: ArgumentTypes = { values: 'Array', source: 'Array', hidden: 'Integer' };

export function combineKernel(this: KernelThis, weights: Float32Array, slots: Float32Array, k: number, hidden: number): number {
  const t = Math.floor((this.thread.x + 0.5) / hidden);
  const h = this.thread.x - t * hidden;
  let sum = 0;
  for (let j = 0; j < k; j++) sum += weights[t * k + j] * slots[(t * k + j) * hidden + h];
  return sum;
}
export const COMBINE_TYPES: ArgumentTypes = { weights: 'Array', slots: 'Array', k: 'Integer', hidden: 'Integer' };

export function combineSharedKernel(this: KernelThis, weights: Float32Array, slots: Float32Array, shared: Float32Array, gate: Float32Array, k: number, hidden: number): number {
  const t = Math.floor((this.thread.x + 0.5) / hidden);
  const h = this.thread.x - t * hidden;
  let sum = 0;
  for (let j = 0; j < k; j++) sum += weights[t * k + j] * slots[(t * k + j) * hidden + h];
  return sum + gate[t] * shared[this.thread.x];
}
export const COMBINE_SHARED_TYPES: ArgumentTypes = { weights: 'Array', slots: 'Array', shared: 'Array', gate: 'Array', k: 'Integer', hidden: 'Integer' };
