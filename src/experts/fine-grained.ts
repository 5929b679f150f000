/**
 * Fine-grained expert segmentation (DeepSeekMoE, Dai et al. 2024, §3.1): split one FFN of
 * intermediate size I into m experts of size I/m. Segment s takes rows [s·I/m, (s+1)·I/m) of W1 and
 * W3 and the same columns of W2, so
 *
 *   FFN(x) = Σ_s expert_s(x)
 *
 * exactly in real arithmetic (the SwiGLU non-linearity is element-wise over the intermediate
 * dimension). In float32 the sum differs from the dense FFN only by the rounding of the m partial
 * down-projections. A layer of m such experts with all m selected at weight 1 is the dense FFN.
 *
 *   W1, W3 [I, H], W2 [H, I]  →  m × (W1 [I/m, H], W3 [I/m, H], W2 [H, I/m])
 */
import { MoEOracleError, checkInteger, checkObject } from '../tensor/errors.js';
import { checkShape, contiguous, tensor, type Tensor } from '../tensor/tensor.js';
import { checkSwiGLUParams, type SwiGLUParams } from './swiglu.js';

function rowsSlice(matrix: Tensor, begin: number, end: number): Tensor {
  const columns = matrix.shape[1];
  return tensor(contiguous(matrix).data.slice(begin * columns, end * columns), [end - begin, columns]);
}

function columnsSlice(matrix: Tensor, begin: number, end: number): Tensor {
  const [rows, columns] = matrix.shape;
  const out = new Float32Array(rows * (end - begin));
  const data = contiguous(matrix).data;
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * columns + begin, r * columns + end), r * (end - begin));
  return tensor(out, [rows, end - begin]);
}

/** Splits a SwiGLU FFN into `segments` fine-grained experts. I must be divisible by `segments`. */
export function splitIntoFineGrainedExperts(params: SwiGLUParams, segments: number): SwiGLUParams[] {
  checkObject('params', params, 'an object { w1, w2, w3 } of tensors');
  checkShape('w2.weight', params.w2, ['H', 'I']);
  const hidden = params.w2.shape[0];
  const intermediate = checkSwiGLUParams(params, hidden);
  checkInteger('segments', segments, 1, intermediate);
  if (intermediate % segments !== 0) {
    throw new MoEOracleError('segments', `a divisor of the intermediate size ${intermediate}`, String(segments));
  }
  const size = intermediate / segments;
  return Array.from({ length: segments }, (_, s) => ({
    w1: rowsSlice(params.w1, s * size, (s + 1) * size),
    w3: rowsSlice(params.w3, s * size, (s + 1) * size),
    w2: columnsSlice(params.w2, s * size, (s + 1) * size),
  }));
}
