/**
 * Load-balancing (auxiliary) losses, one named variant per source, each with its gradient with
 * respect to the router logits. T tokens, N experts, k choices per token, p_te the scores (softmax
 * unless said), c_e the number of tokens with e among their k choices, c¹_e among their first choice,
 * α = `coefficient` (default 1). The routing (top-k indices) is an input: it is not differentiable,
 * as in every library, so the gradient flows through the scores only.
 *
 *  variant             formula                                                   uniform   maximum
 *  'hf-mixtral'        N · Σ_j Σ_e f_je · P_e,  f_je = share of tokens whose j-th  α·k       α·N
 *                      choice is e, P_e = mean_t p_te, over all layers' tokens
 *                      concatenated (T = layers·B·S); with `attentionMask` [B, S]
 *                      padded tokens are left out of both means.
 *                      = α·N/M² · Σ_e c_e · Σ_t m_t p_te   (M = Σ_t m_t)
 *                      HF transformers `load_balancing_loss_func` in modeling_mixtral.py (also
 *                      qwen2_moe, olmoe, dbrx, ...).
 *  'switch'            N² · mean_{g,e}(f_ge · P_ge) per group g of S = T/G tokens  α·k       α·N
 *                      (f_ge = share of g's tokens with e among their choices)
 *                      = α·N/(G·S²) · Σ_g Σ_e c_ge · Σ_{t∈g} p_te
 *                      HF `load_balancing_loss_func` in modeling_switch_transformers.py; flaxformer
 *                      `routing.py` `_load_balancing_loss` (groups = batch rows / num_groups).
 *  'megatron'          α·N/(k·T²) · Σ_e c_e · Σ_t p_te                           α         α·N/k
 *                      Megatron-LM `moe_utils.switch_load_balancing_loss_func` with the scores of
 *                      `compute_routing_scores_for_aux_loss` (`scoring` 'softmax', or 'sigmoid':
 *                      σ(z) renormalised over all N experts, + 1e-20); `router._apply_aux_loss`.
 *  'megatron-seq'      the 'megatron' loss of each of B sequences of S = T/B tokens, averaged:
 *                      α/B · Σ_b N/(k·S²) · Σ_e c_be · Σ_{t∈b} p_te               α         α·N/k
 *                      Megatron-LM `router._apply_seq_aux_loss` (logits [S, B, N], so token t is in
 *                      sequence t mod B: `tokenOrder` 'sequence-major'; 'batch-major' for [B, S]).
 *  'megatron-global'   α·N/(k·T_g²) · Σ_e ĉ_e · Σ_t p_te with the counts ĉ [N]    α·T/T_g   —
 *                      (`globalTokensPerExpert`) and token count T_g (`globalNumTokens`) of the
 *                      global batch; the scores are the local ones. `router._apply_global_aux_loss`.
 *  'deepspeed'         N² · mean_e(me_e · ce_e), me = mean_t p_te, ce = c¹/T:       α         α·N
 *                      = α·N/T² · Σ_e c¹_e · Σ_t p_te  (first choices only, even for top-2)
 *                      DeepSpeed `sharded_moe.top1gating` / `top2gating` `l_aux`.
 *  'gshard'            the 'deepspeed' form per group of S = T/G tokens, averaged  α         α·N
 *                      over groups: α·N/(G·S²) · Σ_g Σ_e c¹_ge · Σ_{t∈g} p_te. GShard (Lepikhin et
 *                      al. 2020, Algorithm 1) minimises mean_e((c_e/S)²), the mean square of the
 *                      top-1 load, through the differentiable mean_e((c_e/S)·m_e); lingvo
 *                      `gshard_layers.py` (and vmoe `_gshard_auxiliary_loss`) scale it by N².
 *  'deepseek-v3-seq'   'megatron-seq' with 'sigmoid' scores: DeepSeek-V3 (arXiv:2412.19437)        α     α·N/k
 *                      eqs. 17-20, L_Bal = α·Σ_i f_i·P_i per sequence, f_i = N/(k·T)·c_i,
 *                      P_i = 1/T·Σ_t s'_it, s' = σ(z) / Σ_j σ(z_j) (+ 1e-20, as Megatron).
 *  'deepseek-v2-expert' 'megatron' with softmax: DeepSeek-V2 eqs. 12-14 (α₁).        α         α·N/k
 *  'deepseek-v2-device', 'deepseek-v2-comm': deepseek-balance.ts (`numDevices`,      α         α·D, α·D/M
 *                      `maxDevicesPerToken`).
 *
 * Uniform routing means p_te = 1/N for every token and every expert chosen by the same number of
 * tokens (c_e = k·T/N); maximum means every token puts all its probability on expert 0 and chooses
 * it (first). The values above follow from substituting these in each formula; the specs derive them
 * again and check them.
 *
 * Numerics: scores.ts (float64 from the float32 logits; the loss is float64, the gradient rounded to
 * float32 once).
 */
import { checkFiniteNumber, checkInteger, checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { checkFinite, checkShape, contiguous, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { communicationBalanceCoefficients, deviceBalanceCoefficients } from './deepseek-balance.js';
import {
  countsPerGroup, linearInScores, readIndices, readLogits, scoresBackward, scoresOf, toTensor,
  type LossResult, type LossScoring, type Routing,
} from './scores.js';

/** The load-balancing losses, by source (see the file comment). */
export type LoadBalancingVariant =
  | 'hf-mixtral' | 'switch' | 'megatron' | 'megatron-seq' | 'megatron-global' | 'deepspeed' | 'gshard'
  | 'deepseek-v3-seq' | 'deepseek-v2-expert' | 'deepseek-v2-device' | 'deepseek-v2-comm';

export const LOAD_BALANCING_VARIANTS: readonly LoadBalancingVariant[] = [
  'hf-mixtral', 'switch', 'megatron', 'megatron-seq', 'megatron-global', 'deepspeed', 'gshard',
  'deepseek-v3-seq', 'deepseek-v2-expert', 'deepseek-v2-device', 'deepseek-v2-comm',
];

/** Options of {@link loadBalancingLoss}; each variant reads only the options named in its row. */
export interface LoadBalancingOptions {
  variant: LoadBalancingVariant;
  /** α, multiplies the loss (Megatron `moe_aux_loss_coeff`, HF `router_aux_loss_coef`); default 1. */
  coefficient?: number;
  /** 'hf-mixtral': [B, S] int32 of 0 (padding) and 1, broadcast over the layers (T = layers·B·S). */
  attentionMask?: IntTensor;
  /** 'switch', 'gshard': number of equal consecutive token groups G; default 1. */
  groups?: number;
  /** 'megatron', 'megatron-seq', 'megatron-global': the router's score function; default 'softmax'. */
  scoring?: 'softmax' | 'sigmoid';
  /** 'megatron-seq', 'deepseek-v3-seq': number of sequences B; default 1. */
  batchSize?: number;
  /** 'megatron-seq', 'deepseek-v3-seq': token t = s·B + b ('sequence-major', default) or b·S + s. */
  tokenOrder?: 'sequence-major' | 'batch-major';
  /** 'megatron-global': [N] tokens per expert of the global batch (float32; may be an average). */
  globalTokensPerExpert?: Tensor;
  /** 'megatron-global': token count of the global batch. */
  globalNumTokens?: number;
  /** 'deepseek-v2-device', 'deepseek-v2-comm': number of devices D (divides N). */
  numDevices?: number;
  /** 'deepseek-v2-comm': the most devices a token may be sent to, M. */
  maxDevicesPerToken?: number;
}

const OPTIONS_READ: Record<LoadBalancingVariant, readonly (keyof LoadBalancingOptions)[]> = {
  'hf-mixtral': ['attentionMask'],
  switch: ['groups'],
  megatron: ['scoring'],
  'megatron-seq': ['scoring', 'batchSize', 'tokenOrder'],
  'megatron-global': ['scoring', 'globalTokensPerExpert', 'globalNumTokens'],
  deepspeed: [],
  gshard: ['groups'],
  'deepseek-v3-seq': ['batchSize', 'tokenOrder'],
  'deepseek-v2-expert': [],
  'deepseek-v2-device': ['numDevices'],
  'deepseek-v2-comm': ['numDevices', 'maxDevicesPerToken'],
};

/** What a variant needs: the routing, its coefficient matrix A (scores.ts) and its scores. */
interface Plan {
  routing: Routing;
  coefficients: Float64Array;
  scoring: LossScoring;
}

function checkOptions(options: LoadBalancingOptions): LoadBalancingVariant {
  if (typeof options !== 'object' || options === null) throw new MoEOracleError('options', 'an options object with a variant', String(options));
  const variant = checkOneOf('variant', options.variant, LOAD_BALANCING_VARIANTS);
  for (const key of Object.keys(options) as (keyof LoadBalancingOptions)[]) {
    if (key === 'variant' || key === 'coefficient' || options[key] === undefined) continue;
    if (!OPTIONS_READ[variant].includes(key)) {
      const read = OPTIONS_READ[variant].length === 0 ? 'no variant-specific option' : OPTIONS_READ[variant].join(', ');
      throw new MoEOracleError(key, `only options variant '${variant}' reads (${read})`, `${key} given`);
    }
  }
  return variant;
}

/** Groups of G equal consecutive blocks of tokens. */
function consecutiveGroups(tokens: number, groups: unknown, argument: string): { groupOf: Int32Array; groups: number } {
  const count = checkInteger(argument, groups ?? 1, 1, tokens);
  if (tokens % count !== 0) throw new MoEOracleError(argument, `a divisor of the number of tokens T = ${tokens}`, String(count));
  const size = tokens / count;
  return { groupOf: Int32Array.from({ length: tokens }, (_, t) => Math.floor(t / size)), groups: count };
}

/** Sequences of a [S, B] ('sequence-major') or [B, S] ('batch-major') flattening. */
function sequenceGroups(tokens: number, options: LoadBalancingOptions): { groupOf: Int32Array; groups: number } {
  const order = checkOneOf('tokenOrder', options.tokenOrder ?? 'sequence-major', ['sequence-major', 'batch-major'] as const);
  const { groups } = consecutiveGroups(tokens, options.batchSize, 'batchSize');
  if (order === 'batch-major') return consecutiveGroups(tokens, groups, 'batchSize');
  return { groupOf: Int32Array.from({ length: tokens }, (_, t) => t % groups), groups };
}

/** m_t of the HF attention mask [B, S], repeated for each layer (T = layers·B·S). */
function maskWeights(mask: IntTensor, tokens: number): Float64Array {
  checkShape('attentionMask', mask, ['B', 'S'], { kind: 'int32' });
  const perLayer = mask.shape[0] * mask.shape[1];
  if (tokens % perLayer !== 0) {
    throw new MoEOracleError('attentionMask', `a shape [B, S] with B·S dividing the number of tokens T = ${tokens} (T = layers·B·S)`, `[${mask.shape.join(', ')}]`);
  }
  const data = contiguous(mask).data;
  for (let i = 0; i < perLayer; i++) {
    if (data[i] !== 0 && data[i] !== 1) throw new MoEOracleError(`attentionMask[${Math.floor(i / mask.shape[1])}, ${i % mask.shape[1]}]`, '0 or 1', String(data[i]));
  }
  if (!data.includes(1)) throw new MoEOracleError('attentionMask', 'at least one unpadded token (a 1)', 'all 0');
  return Float64Array.from({ length: tokens }, (_, t) => data[t % perLayer]);
}

function planFor(options: LoadBalancingOptions, tokens: number, experts: number, topkIndices: IntTensor): Plan {
  const variant = checkOptions(options);
  const alpha = checkFiniteNumber('coefficient', options.coefficient ?? 1);
  const { data: indices, k } = readIndices(topkIndices, tokens, experts);
  const oneGroup = { groupOf: new Int32Array(tokens), groups: 1 };
  const grouping =
    variant === 'switch' || variant === 'gshard' ? consecutiveGroups(tokens, options.groups, 'groups')
      : variant === 'megatron-seq' || variant === 'deepseek-v3-seq' ? sequenceGroups(tokens, options)
        : oneGroup;
  const tokenWeight = variant === 'hf-mixtral' && options.attentionMask !== undefined ? maskWeights(options.attentionMask, tokens) : new Float64Array(tokens).fill(1);
  const routing: Routing = { tokens, experts, k, indices, tokenWeight, ...grouping };
  const megatronScoring: LossScoring = checkOneOf('scoring', options.scoring ?? 'softmax', ['softmax', 'sigmoid'] as const) === 'sigmoid' ? 'sigmoid-normalized' : 'softmax';
  const scaled = (counts: Float64Array, factor: number) => counts.map((c) => alpha * factor * c);
  const T = tokens;
  const N = experts;
  switch (variant) {
    case 'hf-mixtral': {
      let valid = 0;
      for (let t = 0; t < tokens; t++) valid += tokenWeight[t];
      return { routing, scoring: 'softmax', coefficients: scaled(countsPerGroup(routing, 'slots'), N / (valid * valid)) };
    }
    case 'switch':
    case 'gshard': {
      const S = T / routing.groups;
      const counts = countsPerGroup(routing, variant === 'switch' ? 'slots' : 'first');
      return { routing, scoring: 'softmax', coefficients: scaled(counts, N / (routing.groups * S * S)) };
    }
    case 'megatron':
    case 'deepseek-v2-expert':
      return { routing, scoring: variant === 'megatron' ? megatronScoring : 'softmax', coefficients: scaled(countsPerGroup(routing, 'slots'), N / (k * T * T)) };
    case 'megatron-seq':
    case 'deepseek-v3-seq': {
      const B = routing.groups;
      const S = T / B;
      return { routing, scoring: variant === 'megatron-seq' ? megatronScoring : 'sigmoid-normalized', coefficients: scaled(countsPerGroup(routing, 'slots'), N / (k * S * S * B)) };
    }
    case 'megatron-global': {
      if (options.globalTokensPerExpert === undefined) throw new MoEOracleError('globalTokensPerExpert', "a [N] float32 tensor for 'megatron-global'", 'undefined');
      checkShape('globalTokensPerExpert', options.globalTokensPerExpert, [N]);
      checkFinite('globalTokensPerExpert', options.globalTokensPerExpert);
      const globalTokens = checkFiniteNumber('globalNumTokens', options.globalNumTokens, Number.MIN_VALUE);
      const counts = Float64Array.from(contiguous(options.globalTokensPerExpert).data);
      return { routing, scoring: megatronScoring, coefficients: scaled(counts, N / (k * globalTokens * globalTokens)) };
    }
    case 'deepspeed':
      return { routing, scoring: 'softmax', coefficients: scaled(countsPerGroup(routing, 'first'), N / (T * T)) };
    case 'deepseek-v2-device':
      return { routing, scoring: 'softmax', coefficients: deviceBalanceCoefficients(routing, options.numDevices, alpha) };
    case 'deepseek-v2-comm':
      return { routing, scoring: 'softmax', coefficients: communicationBalanceCoefficients(routing, options.numDevices, options.maxDevicesPerToken, alpha) };
  }
}

/**
 * A load-balancing loss and its gradient with respect to the router logits.
 *
 * @param logits [T, N] float32 router logits (for 'hf-mixtral', all layers' logits concatenated).
 * @param topkIndices [T, k] int32 chosen experts, first choice first.
 * @param options the variant and what it reads (see {@link LoadBalancingOptions}).
 * @returns the loss (float64) and dL/d(logits) [T, N].
 * @throws MoEOracleError on mismatched shapes, indices outside [0, N), a bad mask or option.
 */
export function loadBalancingLoss(logits: Tensor, topkIndices: IntTensor, options: LoadBalancingOptions): LossResult {
  const { data, tokens, experts } = readLogits(logits);
  const plan = planFor(options, tokens, experts, topkIndices);
  const scores = scoresOf(data, tokens, experts, plan.scoring);
  const { loss, gradScores } = linearInScores(scores, plan.routing, plan.coefficients);
  return { loss, gradLogits: toTensor(scoresBackward(data, scores, gradScores, tokens, experts, plan.scoring), [tokens, experts]) };
}

/**
 * The same loss computed from given scores (probabilities) [T, N] instead of logits, with its
 * gradient with respect to those scores: the form of TransformerEngine's `fused_moe_aux_loss` and of
 * HF Switch's `load_balancing_loss_func(router_probs, expert_indices)`.
 */
export function loadBalancingLossOfScores(scores: Tensor, topkIndices: IntTensor, options: LoadBalancingOptions): { loss: number; gradScores: Tensor } {
  const { data, tokens, experts } = readLogits(scores, 'scores');
  const plan = planFor(options, tokens, experts, topkIndices);
  const { loss, gradScores } = linearInScores(Float64Array.from(data), plan.routing, plan.coefficients);
  return { loss, gradScores: toTensor(gradScores, [tokens, experts]) };
}
