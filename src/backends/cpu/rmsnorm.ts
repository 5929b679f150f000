/**
 * cpu kernel `rmsNorm` (Zhang & Sennrich 2019), as in Llama, Mixtral, DeepSeek and Qwen:
 *
 *   y = x / sqrt(mean(x²) + eps) · weight          x [T, H], weight [H] → y [T, H]
 *
 * mean(x²) is accumulated in float64; the whole expression is evaluated in float64 and rounded to
 * float32 once (Hugging Face computes it in float32, so expect ≈1 ulp differences).
 */
import { tensor, type Tensor } from '../../tensor/tensor.js';

export function rmsNormCpu(x: Tensor, weight: Tensor, eps: number): Tensor {
  const [tokens, hidden] = x.shape;
  const xData = x.data;
  const wData = weight.data;
  const out = new Float32Array(tokens * hidden);
  for (let t = 0; t < tokens; t++) {
    let sumOfSquares = 0;
    for (let h = 0; h < hidden; h++) sumOfSquares += xData[t * hidden + h] * xData[t * hidden + h];
    const inverseRms = 1 / Math.sqrt(sumOfSquares / hidden + eps);
    for (let h = 0; h < hidden; h++) out[t * hidden + h] = xData[t * hidden + h] * inverseRms * wData[h];
  }
  return tensor(out, [tokens, hidden]);
}
