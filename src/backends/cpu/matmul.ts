/**
 * cpu kernel `batchedMatmul`: one matrix product per batch entry (attention heads).
 *
 *   a [B, M, K] · b [B, K, N] → [B, M, N]         with transposeB: a [B, M, K] · b[B, N, K]ᵀ → [B, M, N]
 *
 * Numerics as `linear`: each output is a float64 sum over K in increasing index order, rounded once.
 */
import { zeros, type Tensor } from '../../tensor/tensor.js';

/** The loop. Inputs contiguous, shapes checked by the caller. */
export function batchedMatmulCpu(a: Tensor, b: Tensor, transposeB: boolean): Tensor {
  const [batches, rows, inner] = a.shape;
  const columns = transposeB ? b.shape[1] : b.shape[2];
  const out = zeros([batches, rows, columns]);
  const aData = a.data;
  const bData = b.data;
  const outData = out.data;
  for (let batch = 0; batch < batches; batch++) {
    const aBase = batch * rows * inner;
    const bBase = batch * inner * columns;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < columns; j++) {
        let sum = 0; // float64 accumulator
        for (let p = 0; p < inner; p++) {
          const bValue = transposeB ? bData[bBase + j * inner + p] : bData[bBase + p * columns + j];
          sum += aData[aBase + i * inner + p] * bValue;
        }
        outData[(batch * rows + i) * columns + j] = sum;
      }
    }
  }
  return out;
}
