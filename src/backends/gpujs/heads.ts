/**
 * gpu.js kernels that move attention data between layouts, beside the cpu loops they mirror
 * (src/backends/cpu/heads.ts, src/backends/cpu/rope.ts): copies (exact) and the rotary embedding.
 *
 *   splitHeads      x [T, C] → [heads, T, width]      out[h, t, j] = x[t, start + h·stride + j]
 *   mergeHeads      x [B, T, d] → [T, B·d]            out[t, b·d + j] = x[b, t, j]
 *   concat (two)    a [Ba, M, Ka], b [Bb, M, Kb] → [max(Ba, Bb), M, Ka + Kb]; a part of batch 1 is
 *                   repeated for every batch entry (concatLastAxis folds its parts two at a time)
 *   rope            x [B, T, d]: pair i of row t rotated by cos/sin of positions[t]·θ_i, times the
 *                   attention factor; the layouts as in the cpu file ('interleaved' 0, 'half' 1,
 *                   'hf-interleave' 2: which features form pair i, where its results go)
 *
 * rope's cos and sin tables [T, d/2] are computed on the host in float64 (as the cpu loop does) and
 * uploaded as float32, as inference engines keep a cos/sin cache: a float32 angle positions[t]·θ_i
 * would lose ~ulp(angle) ≈ 5e-4 at position 4096 before the cosine is even taken.
 */
import type { ArgumentTypes, KernelThis } from './runtime.js';

export function splitHeadsKernel(this: KernelThis, x: Float32Array, tokens: number, columnsIn: number, width: number, start: number, stride: number): number {
  const headRow = Math.floor((this.thread.x + 0.5) / width);
  const j = this.thread.x - headRow * width;
  const h = Math.floor((headRow + 0.5) / tokens);
  const t = headRow - h * tokens;
  return x[t * columnsIn + start + h * stride + j];
}
export const SPLIT_HEADS_TYPES: ArgumentTypes = { x: 'Array', tokens: 'Integer', columnsIn: 'Integer', width: 'Integer', start: 'Integer', stride: 'Integer' };

export function mergeHeadsKernel(this: KernelThis, x: Float32Array, heads: number, tokens: number, width: number): number {
  const t = Math.floor((this.thread.x + 0.5) / (heads * width));
  const c = this.thread.x - t * heads * width;
  const b = Math.floor((c + 0.5) / width);
  const j = c - b * width;
  return x[(b * tokens + t) * width + j];
}
export const MERGE_HEADS_TYPES: ArgumentTypes = { x: 'Array', heads: 'Integer', tokens: 'Integer', width: 'Integer' };

export function concatTwoKernel(this: KernelThis, a: Float32Array, b: Float32Array, batchesA: number, batchesB: number, rows: number, widthA: number, widthB: number): number {
  const total = widthA + widthB;
  const batchRow = Math.floor((this.thread.x + 0.5) / total);
  const c = this.thread.x - batchRow * total;
  const batch = Math.floor((batchRow + 0.5) / rows);
  const r = batchRow - batch * rows;
  if (c < widthA) {
    let sourceA = batch;
    if (batchesA === 1) sourceA = 0;
    return a[(sourceA * rows + r) * widthA + c];
  }
  let sourceB = batch;
  if (batchesB === 1) sourceB = 0;
  return b[(sourceB * rows + r) * widthB + c - widthA];
}
export const CONCAT_TWO_TYPES: ArgumentTypes = { a: 'Array', b: 'Array', batchesA: 'Integer', batchesB: 'Integer', rows: 'Integer', widthA: 'Integer', widthB: 'Integer' };

export function ropeKernel(this: KernelThis, x: Float32Array, cosTable: Float32Array, sinTable: Float32Array, tokens: number, width: number, layout: number): number {
  const half = width / 2;
  const batchRow = Math.floor((this.thread.x + 0.5) / width);
  const c = this.thread.x - batchRow * width;
  const t = batchRow - Math.floor((batchRow + 0.5) / tokens) * tokens;
  // Which pair i this output belongs to, and whether it is the pair's first (u) or second (v) result.
  let i = c;
  let second = 0;
  if (layout === 0) {
    i = Math.floor((c + 0.5) / 2);
    second = c - 2 * i;
  } else if (c >= half) {
    i = c - half;
    second = 1;
  }
  let u = x[batchRow * width + i];
  let v = x[batchRow * width + i + half];
  if (layout !== 1) {
    u = x[batchRow * width + 2 * i];
    v = x[batchRow * width + 2 * i + 1];
  }
  const cos = cosTable[t * half + i];
  const sin = sinTable[t * half + i];
  if (second === 0) return u * cos - v * sin;
  return v * cos + u * sin;
}
export const ROPE_TYPES: ArgumentTypes = { x: 'Array', cosTable: 'Array', sinTable: 'Array', tokens: 'Integer', width: 'Integer', layout: 'Integer' };
