/**
 * cpu kernel `linear`: y = x · Wᵀ + b, in PyTorch's `nn.Linear` layout.
 *
 *   x [T, in]   W [out, in]   b [out] (optional)   →   y [T, out]
 *
 * Each output element is a dot product of length `in`, accumulated in float64 (every float32 × float32
 * product is exact in float64) in increasing index order, plus the bias, then rounded to float32 once.
 * A GPU or BLAS backend sums in another order and in float32, so agreement is to a tolerance that
 * grows with `in` (see the tolerance model of `moe-oracle verify`), never bit for bit.
 *
 * Two loops compute exactly that, bit for bit (as llm.c keeps `matmul_forward_naive` beside
 * `matmul_forward`):
 *
 * - `linearNaiveCpu`, the readable specification: one dot product per output.
 * - `linearCpu`, the one the backend runs: register tiling. It walks 4 tokens × 2 outputs at once (the
 *   last tokens: 1 token × 4 outputs), so
 *   each x value and each W value read from memory feeds several products, and keeps 8 independent
 *   float64 accumulators, so the CPU overlaps 8 additions instead of waiting on one dependent chain.
 *   Each accumulator is still one output's sum over i = 0, 1, …, in − 1 in increasing order, started
 *   at 0 and rounded once: the same additions in the same order, so the same bits. Tokens and outputs
 *   past the last full tile (the ragged edges) go through the naive dot product.
 *   spec/backends/tiled-linear-equals-naive-bit-for-bit.spec.ts checks this on random shapes.
 */
import { zeros, type Tensor } from '../../tensor/tensor.js';

/** One output: Σ_i x[xRow + i] · W[wRow + i] in float64, increasing i (the ragged edges use it too). */
function dot(xData: Float32Array, xRow: number, wData: Float32Array, wRow: number, length: number): number {
  let sum = 0; // float64 accumulator
  for (let i = 0; i < length; i++) sum += xData[xRow + i] * wData[wRow + i];
  return sum;
}

/** The specification: one float64 dot product per output, plus the bias, rounded once. */
export function linearNaiveCpu(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const tokens = x.shape[0];
  const inFeatures = x.shape[1];
  const outFeatures = weight.shape[0];
  const y = zeros([tokens, outFeatures]);
  const bData = bias?.data;
  for (let t = 0; t < tokens; t++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = dot(x.data, t * inFeatures, weight.data, o * inFeatures, inFeatures);
      if (bData !== undefined) sum += bData[o];
      y.data[t * outFeatures + o] = sum; // the one rounding to float32
    }
  }
  return y;
}

/** The tiled loop (4 tokens × 2 outputs per pass). Inputs contiguous, shapes checked by the caller. */
export function linearCpu(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const tokens = x.shape[0];
  const n = x.shape[1]; // in features
  const outFeatures = weight.shape[0];
  const y = zeros([tokens, outFeatures]);
  const xs = x.data;
  const ws = weight.data;
  const ys = y.data;
  const bData = bias?.data;
  const fullTokens = tokens - (tokens % 4);
  const fullOutputs = outFeatures - (outFeatures % 2);
  for (let t = 0; t < fullTokens; t += 4) {
    const x0 = t * n;
    const x1 = x0 + n;
    const x2 = x1 + n;
    const x3 = x2 + n;
    for (let o = 0; o < fullOutputs; o += 2) {
      const w0 = o * n;
      const w1 = w0 + n;
      // acc{token}{output}: eight independent float64 sums, each over i in increasing order.
      let acc00 = 0, acc01 = 0, acc10 = 0, acc11 = 0, acc20 = 0, acc21 = 0, acc30 = 0, acc31 = 0;
      for (let i = 0; i < n; i++) {
        const a = ws[w0 + i];
        const b = ws[w1 + i];
        const v0 = xs[x0 + i];
        const v1 = xs[x1 + i];
        const v2 = xs[x2 + i];
        const v3 = xs[x3 + i];
        acc00 += v0 * a; acc01 += v0 * b;
        acc10 += v1 * a; acc11 += v1 * b;
        acc20 += v2 * a; acc21 += v2 * b;
        acc30 += v3 * a; acc31 += v3 * b;
      }
      if (bData !== undefined) {
        // The bias joins each float64 sum after its last product, before the rounding, as in the naive loop.
        acc00 += bData[o]; acc10 += bData[o]; acc20 += bData[o]; acc30 += bData[o];
        acc01 += bData[o + 1]; acc11 += bData[o + 1]; acc21 += bData[o + 1]; acc31 += bData[o + 1];
      }
      ys[t * outFeatures + o] = acc00; ys[t * outFeatures + o + 1] = acc01; // one rounding each
      ys[(t + 1) * outFeatures + o] = acc10; ys[(t + 1) * outFeatures + o + 1] = acc11;
      ys[(t + 2) * outFeatures + o] = acc20; ys[(t + 2) * outFeatures + o + 1] = acc21;
      ys[(t + 3) * outFeatures + o] = acc30; ys[(t + 3) * outFeatures + o + 1] = acc31;
    }
  }
  // The last tokens (< 4), one at a time, 4 outputs per pass (4 independent sums, as above).
  const fullOutputQuads = outFeatures - (outFeatures % 4);
  for (let t = fullTokens; t < tokens; t++) {
    const x0 = t * n;
    for (let o = 0; o < fullOutputQuads; o += 4) {
      const w0 = o * n;
      const w1 = w0 + n;
      const w2 = w1 + n;
      const w3 = w2 + n;
      let acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
      for (let i = 0; i < n; i++) {
        const v = xs[x0 + i];
        acc0 += v * ws[w0 + i];
        acc1 += v * ws[w1 + i];
        acc2 += v * ws[w2 + i];
        acc3 += v * ws[w3 + i];
      }
      if (bData !== undefined) {
        acc0 += bData[o]; acc1 += bData[o + 1]; acc2 += bData[o + 2]; acc3 += bData[o + 3];
      }
      ys[t * outFeatures + o] = acc0; ys[t * outFeatures + o + 1] = acc1;
      ys[t * outFeatures + o + 2] = acc2; ys[t * outFeatures + o + 3] = acc3;
    }
  }
  // Ragged edges: the outputs no tile covered, one dot product each.
  for (let t = 0; t < tokens; t++) {
    for (let o = t < fullTokens ? fullOutputs : fullOutputQuads; o < outFeatures; o++) {
      let sum = dot(xs, t * n, ws, o * n, n);
      if (bData !== undefined) sum += bData[o];
      ys[t * outFeatures + o] = sum;
    }
  }
  return y;
}
