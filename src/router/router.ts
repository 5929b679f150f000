/**
 * The token-choice router of an MoE layer: each token picks its k experts and their weights.
 *
 *   logits  = x · W_gᵀ (+ b)                         x [T, H], W_g [N, H] ("gate.weight"), b [N]
 *   scores  = softmax(logits) over the N experts     (Mixtral, Qwen2-MoE, OLMoE, DBRX, Switch, DeepSeek-V2)
 *           | sigmoid(logits) per expert             (DeepSeek-V3)
 *   chosen  = top-k of (scores + score-correction bias)   — the bias (DeepSeek-V3
 *             `e_score_correction_bias`) steers selection only; weights use the unbiased scores
 *           | top-k of logits for 'softmax-topk'     (gpt-oss, Megatron's default; same set as top-k
 *             of softmax scores up to float rounding)
 *   weights = normalise(scores at chosen) · routedScalingFactor
 *
 * Weight normalisations, named after the models that use them (see shared/research §1.4):
 *   'none'          w_j = s_j                         Qwen2-MoE / OLMoE (norm_topk_prob=false), Switch, DeepSeek-V2
 *   'sum'           w_j = s_j / (Σ_i s_i + ε)         Mixtral (ε = 0), DeepSeek-V3 (ε = 1e-20, routedScalingFactor 2.5)
 *   'softmax-topk'  w_j = softmax(logits at chosen)_j gpt-oss, Megatron-LM default
 *   'pnorm'         w_j = s_j / (Σ_i |s_i|^p)^(1/p)    DBRX (`moe_normalize_expert_weights` = p)
 *
 * Numerics: logits come from `linear` (float64 dot products, rounded to float32); scores are float32;
 * weights are computed in float64 from the float32 scores (or logits) and rounded to float32 once.
 * Selection follows `topK`'s tie rule (descending, then lower expert index) and reports the margin
 * between the k-th and (k+1)-th selection score of each token.
 */
import { checkFiniteNumber, checkInteger, checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { linear } from '../tensor/linear.js';
import { sigmoid } from '../tensor/activations.js';
import { softmax, softmaxValues } from '../tensor/softmax.js';
import { checkFinite, checkShape, contiguous, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { checkSelection, topK } from './topk.js';

/** How logits become per-expert scores. */
export type Scoring = 'softmax' | 'sigmoid';
/** How the k selected scores become combine weights (see the file comment). */
export type WeightNormalization = 'none' | 'sum' | 'softmax-topk' | 'pnorm';

export const SCORINGS: readonly Scoring[] = ['softmax', 'sigmoid'];
export const WEIGHT_NORMALIZATIONS: readonly WeightNormalization[] = ['none', 'sum', 'softmax-topk', 'pnorm'];

/** Router options. Hugging Face config keys in brackets. */
export interface RouterOptions {
  /** k, experts per token [num_experts_per_tok]. */
  topK: number;
  /** Default 'softmax' [scoring_func]. */
  scoring?: Scoring;
  /** Default 'sum' (Mixtral) [norm_topk_prob: true → 'sum', false → 'none']. */
  normalization?: WeightNormalization;
  /** ε added to the denominator of 'sum'; default 0 (Mixtral); DeepSeek-V3 uses 1e-20. */
  normalizationEpsilon?: number;
  /** p of 'pnorm'; default 1 [moe_normalize_expert_weights]. */
  pnormP?: number;
  /** Multiplies the normalised weights; default 1 [routed_scaling_factor]. */
  routedScalingFactor?: number;
}

/** Router parameters. */
export interface RouterParams {
  /** [N, H] "gate.weight". */
  weight: Tensor;
  /** [N] "gate.bias" (gpt-oss), optional. */
  bias?: Tensor;
  /** [N] "gate.e_score_correction_bias" (DeepSeek-V3), selection only, optional. */
  scoreCorrectionBias?: Tensor;
}

/** What the router returns. */
export interface RouterOutput {
  /** [T, N] x·W_gᵀ (+ b). */
  logits: Tensor;
  /** [T, N] softmax or sigmoid of the logits. */
  scores: Tensor;
  /** [T, k] int32 chosen experts, by descending selection score (ties: lower index first). */
  topkIndices: IntTensor;
  /** [T, k] combine weights of the chosen experts. */
  topkWeights: Tensor;
  /** [T] k-th minus (k+1)-th selection score (+Infinity when k = N): small means near-tie. */
  margins: Tensor;
}

/** Router options with defaults filled in and every value checked. */
export type ResolvedRouterOptions = Required<RouterOptions>;

/** Router settings of published models (k is set separately). */
export const ROUTER_PRESETS = {
  mixtral: { scoring: 'softmax', normalization: 'sum' },
  'qwen2-moe': { scoring: 'softmax', normalization: 'none' },
  olmoe: { scoring: 'softmax', normalization: 'none' },
  'qwen3-moe': { scoring: 'softmax', normalization: 'sum' },
  switch: { scoring: 'softmax', normalization: 'none' },
  dbrx: { scoring: 'softmax', normalization: 'pnorm', pnormP: 1 },
  'gpt-oss': { scoring: 'softmax', normalization: 'softmax-topk' },
  'deepseek-v2': { scoring: 'softmax', normalization: 'none' },
  'deepseek-v3': { scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5 },
} as const satisfies Record<string, Omit<RouterOptions, 'topK'>>;

/** Checks router options against the number of experts and fills in defaults. */
export function resolveRouterOptions(options: RouterOptions, numExperts: number): ResolvedRouterOptions {
  if (typeof options !== 'object' || options === null) throw new MoEOracleError('options', 'router options object', String(options));
  const resolved: ResolvedRouterOptions = {
    topK: checkInteger('topK', options.topK, 1, numExperts),
    scoring: checkOneOf('scoring', options.scoring ?? 'softmax', SCORINGS),
    normalization: checkOneOf('normalization', options.normalization ?? 'sum', WEIGHT_NORMALIZATIONS),
    normalizationEpsilon: checkFiniteNumber('normalizationEpsilon', options.normalizationEpsilon ?? 0, 0),
    pnormP: checkFiniteNumber('pnormP', options.pnormP ?? 1, Number.MIN_VALUE),
    routedScalingFactor: checkFiniteNumber('routedScalingFactor', options.routedScalingFactor ?? 1),
  };
  return resolved;
}

/**
 * Combine weights of the chosen experts of one token, in float64.
 * `chosenScores` and `chosenLogits` are the float32 scores and logits at the chosen experts.
 */
export function normalizeWeights(
  chosenScores: ArrayLike<number>,
  chosenLogits: ArrayLike<number>,
  options: ResolvedRouterOptions,
  token = 0,
): Float64Array {
  const k = chosenScores.length;
  let weights: Float64Array;
  switch (options.normalization) {
    case 'none':
      weights = Float64Array.from(chosenScores);
      break;
    case 'softmax-topk':
      weights = softmaxValues(chosenLogits, `logits[${token}]`);
      break;
    case 'sum': {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += chosenScores[j];
      const denominator = sum + options.normalizationEpsilon;
      if (!(denominator > 0)) {
        throw new MoEOracleError(
          `normalizationEpsilon (token ${token})`,
          'a positive normaliser: the chosen scores sum to 0, so normalising needs ε > 0 (DeepSeek-V3 uses 1e-20)',
          `sum ${sum} + ε ${options.normalizationEpsilon}`,
        );
      }
      weights = Float64Array.from(chosenScores, (s) => s / denominator);
      break;
    }
    case 'pnorm': {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.abs(chosenScores[j]) ** options.pnormP;
      const norm = sum ** (1 / options.pnormP);
      if (!(norm > 0)) throw new MoEOracleError(`scores (token ${token})`, 'chosen scores with a positive p-norm', String(norm));
      weights = Float64Array.from(chosenScores, (s) => s / norm);
      break;
    }
  }
  for (let j = 0; j < k; j++) weights[j] *= options.routedScalingFactor;
  return weights;
}

/** Runs the router. x [T, H]; returns logits, scores, chosen experts, weights and margins. */
export function route(x: Tensor, params: RouterParams, options: RouterOptions, selectionOverride?: IntTensor): RouterOutput {
  checkShape('x', x, ['T', 'H']);
  const [tokens, hidden] = x.shape;
  checkShape('gate.weight', params.weight, ['N', hidden]);
  const numExperts = params.weight.shape[0];
  const resolved = resolveRouterOptions(options, numExperts);
  const k = resolved.topK;
  if (params.scoreCorrectionBias !== undefined) {
    checkShape('gate.e_score_correction_bias', params.scoreCorrectionBias, [numExperts]);
    checkFinite('gate.e_score_correction_bias', params.scoreCorrectionBias);
    if (resolved.normalization === 'softmax-topk') {
      throw new MoEOracleError('normalization', "a score-based normalisation when a score-correction bias is given (the bias shifts scores, not logits)", "'softmax-topk'");
    }
  }

  const logits = linear(x, params.weight, params.bias, { x: 'x', weight: 'gate.weight', bias: 'gate.bias' });
  const scores = resolved.scoring === 'softmax' ? softmax(logits) : sigmoid(logits);

  // Selection space: logits for 'softmax-topk', else scores (+ the selection-only bias).
  let selection = resolved.normalization === 'softmax-topk' ? logits : scores;
  if (params.scoreCorrectionBias !== undefined) selection = addRowVector(scores, params.scoreCorrectionBias);
  const ranked = topK(selection, k, 'selection scores');
  let topkIndices = ranked.indices;
  if (selectionOverride !== undefined) {
    checkSelection('routing override', selectionOverride, tokens, k, numExperts);
    topkIndices = contiguous(selectionOverride);
  }

  const topkWeights = new Float32Array(tokens * k);
  const chosenScores = new Float64Array(k);
  const chosenLogits = new Float64Array(k);
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < k; j++) {
      const expert = topkIndices.data[t * k + j];
      chosenScores[j] = scores.data[t * numExperts + expert];
      chosenLogits[j] = logits.data[t * numExperts + expert];
    }
    topkWeights.set(normalizeWeights(chosenScores, chosenLogits, resolved, t), t * k);
  }
  return { logits, scores, topkIndices, topkWeights: tensor(topkWeights, [tokens, k]), margins: ranked.margins };
}

/** scores [T, N] + bias [N], rounded to float32 (as DeepSeek-V3 adds its fp32 bias). */
function addRowVector(matrix: Tensor, row: Tensor): Tensor {
  const [rows, columns] = matrix.shape;
  const out = new Float32Array(rows * columns);
  const bias = contiguous(row).data;
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[r * columns + c] = matrix.data[r * columns + c] + bias[c];
  return tensor(out, [rows, columns]);
}
