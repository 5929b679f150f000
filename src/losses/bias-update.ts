/**
 * The auxiliary-loss-free balancing update of the score-correction bias (DeepSeek-V3,
 * arXiv:2412.19437 §2.1.2; Megatron-LM `moe_utils.get_updated_expert_bias`): after each step every
 * expert's selection bias moves by γ towards balance,
 *
 *   b_e ← b_e + γ · sign(mean_j c_j − c_e)
 *
 * with c_e the tokens routed to expert e in the step (summed over the data-parallel ranks) and γ the
 * bias update speed (Megatron `moe_router_bias_update_rate`, default 1e-3). An overloaded expert's bias
 * falls, an underloaded one's rises, one at the mean (sign 0) keeps its bias. The bias is float32, as
 * in Megatron (`_maintain_float32_expert_bias`): γ is rounded to float32, and b_e ± γ is rounded once.
 *
 * Shapes: bias [N] float32, tokensPerExpert [N] int32 or float32 counts.
 */
import { checkFiniteNumber, checkInteger, MoEOracleError } from '../tensor/errors.js';
import { MAX_TENSOR_ELEMENTS, checkFinite, checkShape, contiguous, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';

/**
 * The updated expert bias b + γ·sign(mean(c) − c).
 * @param bias [N] float32 score-correction bias ("e_score_correction_bias").
 * @param tokensPerExpert [N] counts (int32, or float32 as Megatron's accumulated counts).
 * @param updateRate γ ≥ 0.
 * @throws MoEOracleError for shapes that differ, non-finite values or γ < 0.
 */
export function updateExpertBias(bias: Tensor, tokensPerExpert: Tensor | IntTensor, updateRate: number): Tensor {
  checkShape('bias', bias, ['N']);
  checkFinite('bias', bias);
  const experts = bias.shape[0];
  const isInt = tokensPerExpert?.data instanceof Int32Array;
  checkShape('tokensPerExpert', tokensPerExpert, [experts], { kind: isInt ? 'int32' : 'float32' });
  if (!isInt) checkFinite('tokensPerExpert', tokensPerExpert as Tensor);
  const rate = Math.fround(checkFiniteNumber('updateRate', updateRate, 0));
  const counts = contiguous(tokensPerExpert).data;
  for (let e = 0; e < experts; e++) if (counts[e] < 0) throw new MoEOracleError(`tokensPerExpert[${e}]`, 'a count ≥ 0', String(counts[e]));
  let mean = 0;
  for (let e = 0; e < experts; e++) mean += counts[e];
  mean /= experts;
  const b = contiguous(bias).data;
  return tensor(Float32Array.from(b, (value, e) => value + rate * Math.sign(mean - counts[e])), [experts]);
}

/** Tokens per expert [N] int32 of a routing [T, k] (each chosen expert counted once per token). */
export function tokensPerExpertOf(topkIndices: IntTensor, numExperts: number): IntTensor {
  checkShape('topkIndices', topkIndices, ['T', 'k'], { kind: 'int32' });
  checkInteger('numExperts', numExperts, 1, MAX_TENSOR_ELEMENTS);
  const counts = new Int32Array(numExperts);
  const data = contiguous(topkIndices).data;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0 || data[i] >= numExperts) throw new MoEOracleError(`topkIndices (flat ${i})`, `an expert index in [0, ${numExperts})`, String(data[i]));
    counts[data[i]] += 1;
  }
  return intTensor(counts, [numExperts]);
}
