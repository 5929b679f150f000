/**
 * cpu kernels of dispatch and combine (src/moe/dispatch.ts decides which rows go where):
 *
 *   gatherRows(x, rows)            x [T, H] → [rows.length, H]: row r is x[rows[r]]
 *   scatterRows(parts, R, H)       → [R, H]: row parts[p].rows[r] is parts[p].values[r]; unwritten rows 0
 *   combine(w, slots, shared)      y[t, h] = Σ_{j<k} w[t, j] · slots[t·k + j, h]  (+ g[t] · shared[t, h])
 *
 * Combine order and precision: for each (t, h) the k routed terms are added in rank order, then the
 * shared term, in float64, and the sum is rounded to float32 once.
 */
import { tensor, type Tensor } from '../../tensor/tensor.js';

export function gatherRowsCpu(x: Tensor, rows: Int32Array): Tensor {
  const hidden = x.shape[1];
  const out = new Float32Array(rows.length * hidden);
  for (let r = 0; r < rows.length; r++) out.set(x.data.subarray(rows[r] * hidden, (rows[r] + 1) * hidden), r * hidden);
  return tensor(out, [rows.length, hidden]);
}

export function scatterRowsCpu(parts: readonly { values: Tensor; rows: Int32Array }[], rowCount: number, hidden: number): Tensor {
  const out = new Float32Array(rowCount * hidden);
  for (const { values, rows } of parts) {
    for (let r = 0; r < rows.length; r++) out.set(values.data.subarray(r * hidden, (r + 1) * hidden), rows[r] * hidden);
  }
  return tensor(out, [rowCount, hidden]);
}

export function combineCpu(weights: Tensor, slotOutputs: Tensor, shared?: { output: Tensor; gate: Tensor }): Tensor {
  const [T, k] = weights.shape;
  const H = slotOutputs.shape[1];
  const output = new Float32Array(T * H);
  const w = weights.data;
  const slots = slotOutputs.data;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += w[t * k + j] * slots[(t * k + j) * H + h];
      if (shared !== undefined) sum += shared.gate.data[t] * shared.output.data[t * H + h];
      output[t * H + h] = sum;
    }
  }
  return tensor(output, [T, H]);
}
