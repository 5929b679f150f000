/**
 * Router z-loss (Zoph et al., "ST-MoE", arXiv:2202.08906, eq. 5): the mean over tokens of the squared
 * log-partition function of the router logits, which keeps the logits small.
 *
 *   L = α / M · Σ_t m_t · (lse_t)²,   lse_t = log Σ_e e^(z_te),   M = max(Σ_t m_t, 1)
 *   dL/dz_te = α · 2 · m_t · lse_t · softmax(z_t)_e / M
 *
 * With no mask (m_t = 1, M = T) this is HF `router_z_loss_func` (modeling_switch_transformers.py),
 * flaxformer `_router_z_loss` and Megatron-LM `moe_utils.z_loss_func`; `tokenMask` is Megatron's
 * padding path (valid tokens only, denominator clamped to at least 1). L ≥ 0; zero logits give
 * (log N)². Not invariant to a shift of the logits (lse shifts with them), so its gradient does not sum
 * to zero over experts.
 *
 * Shapes: logits [T, N] float32, tokenMask [T] int32 of 0/1. Numerics: float64 (logSumExpValues and
 * softmaxValues, max-subtracted), tokens summed in index order; the gradient is rounded to float32 once.
 */
import { checkFiniteNumber, checkOptions, MoEOracleError } from '../tensor/errors.js';
import { logSumExpValues, softmaxValues } from '../tensor/softmax.js';
import { checkShape, contiguous, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { readLogits, toTensor, type LossResult } from './scores.js';

/** Options of {@link routerZLoss}. */
export interface ZLossOptions {
  /** α (Megatron `moe_z_loss_coeff`, HF `router_z_loss_coef`); default 1. */
  coefficient?: number;
  /** [T] int32: 1 for a valid token, 0 for padding (Megatron-LM's padding path). */
  tokenMask?: IntTensor;
}

/** Per-token weights of a [T] 0/1 mask (all 1 without one). */
export function tokenMaskWeights(mask: IntTensor | undefined, tokens: number, argument = 'tokenMask'): Float64Array {
  if (mask === undefined) return new Float64Array(tokens).fill(1);
  checkShape(argument, mask, [tokens], { kind: 'int32' });
  const data = contiguous(mask).data;
  for (let t = 0; t < tokens; t++) if (data[t] !== 0 && data[t] !== 1) throw new MoEOracleError(`${argument}[${t}]`, '0 or 1', String(data[t]));
  return Float64Array.from(data);
}

/**
 * Router z-loss and its gradient with respect to the logits.
 * @param logits [T, N] float32.
 * @throws MoEOracleError on a bad shape, non-finite logits or a mask of the wrong shape.
 */
export function routerZLoss(logits: Tensor, options: ZLossOptions = {}): LossResult {
  const { data, tokens, experts } = readLogits(logits);
  checkOptions('options', options);
  const alpha = checkFiniteNumber('coefficient', options.coefficient ?? 1);
  const weights = tokenMaskWeights(options.tokenMask, tokens);
  let valid = 0;
  for (let t = 0; t < tokens; t++) valid += weights[t];
  const denominator = Math.max(valid, 1);
  let sum = 0;
  const grad = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    if (weights[t] === 0) continue;
    const row = data.subarray(t * experts, (t + 1) * experts);
    const lse = logSumExpValues(row, `logits[${t}]`);
    sum += lse * lse;
    const probs = softmaxValues(row, `logits[${t}]`);
    for (let e = 0; e < experts; e++) grad[t * experts + e] = (alpha * 2 * lse * probs[e]) / denominator;
  }
  return { loss: (alpha * sum) / denominator, gradLogits: toTensor(grad, [tokens, experts]) };
}
