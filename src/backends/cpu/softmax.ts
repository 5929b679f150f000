/**
 * cpu kernels `softmax`, `logSumExp` and `maskedSoftmax`, row by row over the last axis, from the
 * float64 row functions of src/tensor/softmax.ts (max-subtracted; −Infinity entries get exactly 0):
 *
 *   softmax(z)_i = e^(z_i − m) / Σ_j e^(z_j − m),  m = max_j z_j          z [R, C] → [R, C]
 *   logSumExp(z) = m + ln Σ_j e^(z_j − m)                                 z [R, C] → [R]
 *   maskedSoftmax(s)[b, i, j] = softmax over j ≤ i + offset of (scale · s[b, i, j]), 0 elsewhere
 *                                                                         s [B, M, N] → [B, M, N]
 *
 * Each output is rounded to float32 once; the scaled score scale·s is formed in float64.
 */
import { logSumExpValues, softmaxValues } from '../../tensor/softmax.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';

export function softmaxCpu(z: Tensor): Tensor {
  const [rows, columns] = z.shape;
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) out.set(softmaxValues(z.data.subarray(r * columns, (r + 1) * columns), `logits[${r}]`), r * columns);
  return tensor(out, [rows, columns]);
}

export function logSumExpCpu(z: Tensor): Tensor {
  const [rows, columns] = z.shape;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = logSumExpValues(z.data.subarray(r * columns, (r + 1) * columns), `logits[${r}]`);
  return tensor(out, [rows]);
}

export function maskedSoftmaxCpu(scores: Tensor, scale: number, causalOffset: number | undefined): Tensor {
  const [batches, rows, columns] = scores.shape;
  const out = new Float32Array(scores.size);
  const scaled = new Float64Array(columns);
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < rows; i++) {
      const base = (b * rows + i) * columns;
      const visible = causalOffset === undefined ? columns : Math.min(columns, Math.max(0, i + causalOffset + 1));
      for (let j = 0; j < columns; j++) scaled[j] = j < visible ? scale * scores.data[base + j] : -Infinity;
      out.set(softmaxValues(scaled, `scores[${b}, ${i}]`), base);
    }
  }
  return tensor(out, [batches, rows, columns]);
}
