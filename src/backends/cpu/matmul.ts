/**
 * cpu kernel `batchedMatmul`: one matrix product per batch entry (attention heads).
 *
 *   a [B, M, K] · b [Bb, K, N] → [B, M, N]        with transposeB: a [B, M, K] · b[Bb, N, K]ᵀ → [B, M, N]
 *
 * Bb divides B; batch i of a is multiplied by batch ⌊i / (B / Bb)⌋ of b. So Bb = B is one matrix per
 * head, and Bb < B lets B / Bb consecutive query heads share one key or value head, as Hugging Face's
 * `repeat_kv` does for grouped-query attention (query head h reads key/value head ⌊h / group⌋), and as
 * MLA's weight-absorbed form shares its one latent among all heads (Bb = 1).
 *
 * Numerics as `linear`: each output is a float64 sum over K in increasing index order, rounded once.
 */
import { zeros, type Tensor } from '../../tensor/tensor.js';

/** The loop. Inputs contiguous, shapes checked by the caller. */
export function batchedMatmulCpu(a: Tensor, b: Tensor, transposeB: boolean): Tensor {
  const [batches, rows, inner] = a.shape;
  const columns = transposeB ? b.shape[1] : b.shape[2];
  const group = batches / b.shape[0]; // query heads per key/value head
  const out = zeros([batches, rows, columns]);
  const aData = a.data;
  const bData = b.data;
  const outData = out.data;
  for (let batch = 0; batch < batches; batch++) {
    const aBase = batch * rows * inner;
    const bBase = Math.floor(batch / group) * inner * columns;
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
