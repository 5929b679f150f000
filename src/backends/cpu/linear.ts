/**
 * cpu kernel `linear`: y = x · Wᵀ + b, in PyTorch's `nn.Linear` layout.
 *
 *   x [T, in]   W [out, in]   b [out] (optional)   →   y [T, out]
 *
 * Each output element is a dot product of length `in`, accumulated in float64 (every float32 × float32
 * product is exact in float64) in increasing index order, plus the bias, then rounded to float32 once.
 * A GPU or BLAS backend sums in another order and in float32, so agreement is to a tolerance that
 * grows with `in` (see the tolerance model of `moe-oracle verify`), never bit for bit.
 */
import { zeros, type Tensor } from '../../tensor/tensor.js';

/** The loop. Inputs contiguous, shapes checked by the caller. */
export function linearCpu(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const tokens = x.shape[0];
  const inFeatures = x.shape[1];
  const outFeatures = weight.shape[0];
  const y = zeros([tokens, outFeatures]);
  const xData = x.data;
  const wData = weight.data;
  const yData = y.data;
  const bData = bias?.data;
  for (let t = 0; t < tokens; t++) {
    const xRow = t * inFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const wRow = o * inFeatures;
      let sum = 0; // float64 accumulator
      for (let i = 0; i < inFeatures; i++) sum += xData[xRow + i] * wData[wRow + i];
      if (bData !== undefined) sum += bData[o];
      yData[t * outFeatures + o] = sum; // the one rounding to float32
    }
  }
  return y;
}
