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
 * Stages: logits and scores run on the chosen backend (kernels `linear`, `softmax` / `activation`);
 * selection and weights run here on the CPU for every backend.
 * Numerics: logits come from `linear` (float64 dot products, rounded to float32); scores are float32;
 * weights are computed in float64 from the float32 scores (or logits) and rounded to float32 once.
 * Selection follows `topK`'s tie rule (descending, then lower expert index) and reports the margin
 * between the k-th and (k+1)-th selection score of each token.
 *
 * Two other routing algorithms share this config: `expertChoice` (expert-choice.ts: each expert takes its
 * top-c tokens from the same softmax scores; `route` runs it) and `softMoE` (soft-moe.ts: dense slot
 * mixing with its own parameters; `softMoERoute` runs its router). With either, `topK` is absent.
 */
import { checkBoolean, checkFiniteNumber, checkInteger, checkOneOf, checkOptions, checkPlainObject, describe, MoEOracleError } from '../tensor/errors.js';
import { softmaxValues } from '../tensor/softmax.js';
import { checkFinite, checkProducedFinite, checkShape, contiguous, FLOAT32_MAX, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { backendOf, synchronousBackendOf, type BackendOption } from '../backends/registry.js';
import { checkSelection, topK } from './topk.js';
import { applyCapacity, resolveCapacityConfig, type CapacityConfig, type CapacityOutput, type ResolvedCapacityConfig } from './capacity.js';
import { limitToGroups, resolveGroupLimitedConfig, type GroupLimitedConfig, type GroupSelection } from './group-limited.js';
import { noisyLogitsOf, resolveNoiseConfig, routerInputOf, type NoiseConfig, type NoiseOutput, type ResolvedNoiseConfig } from './noise.js';
import { checkExpertChoiceSelection, chooseTokens, resolveExpertChoiceConfig, type ExpertChoiceConfig, type ExpertChoiceOutput, type ResolvedExpertChoiceConfig } from './expert-choice.js';
import { resolveSoftMoEConfig, type ResolvedSoftMoEConfig, type SoftMoEConfig } from './soft-moe.js';

/** How logits become per-expert scores. */
export type Scoring = 'softmax' | 'sigmoid';
/** How the k selected scores become combine weights (see the file comment). */
export type WeightNormalization = 'none' | 'sum' | 'softmax-topk' | 'pnorm';

export const SCORINGS: readonly Scoring[] = ['softmax', 'sigmoid'];
export const WEIGHT_NORMALIZATIONS: readonly WeightNormalization[] = ['none', 'sum', 'softmax-topk', 'pnorm'];
/** Who chooses: tokens (top-k, the default), experts (`expertChoice`), or nobody (`softMoE`, dense slots). */
export type RoutingKind = 'token-choice' | 'expert-choice' | 'soft-moe';

/**
 * The router's configuration, nested in `MoEConfig.router` (and accepted alone by `route`).
 * Hugging Face config keys in brackets.
 */
export interface RouterConfig {
  /** k, experts per token [num_experts_per_tok]; required for token choice, absent with `expertChoice` or `softMoE`. */
  topK?: number;
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
  /** The router has a bias `gate.bias` (gpt-oss); default false. */
  bias?: boolean;
  /** The router has DeepSeek-V3's selection-only `gate.e_score_correction_bias`; default false. */
  scoreCorrectionBias?: boolean;
  /** Group-limited selection (DeepSeek-V2/V3, Megatron; group-limited.ts); default none [n_group, topk_group, topk_method]. */
  groups?: GroupLimitedConfig;
  /** Expert capacity and token dropping (capacity.ts); default none: every chosen slot is processed. */
  capacity?: CapacityConfig;
  /** Router noise (noise.ts): jitter on the router's input, or noisy top-k; default none [router_jitter_noise]. */
  noise?: NoiseConfig;
  /**
   * What top-k ranks: 'scores' (default) or 'logits' (Llama 4's Llama4Router: top-k of the logits, then
   * sigmoid of the chosen ones). 'softmax-topk' always ranks logits.
   */
  selectOn?: 'scores' | 'logits';
  /**
   * Expert-choice routing (expert-choice.ts): each expert takes its top-c tokens; replaces top-k (no
   * `topK`). Only `scoring` 'softmax' and `bias` combine with it.
   */
  expertChoice?: ExpertChoiceConfig;
  /** Soft MoE (soft-moe.ts, src/moe/soft-moe.ts): dense dispatch and combine over slots; no other router key combines with it. */
  softMoE?: SoftMoEConfig;
  /** Who chooses; optional, as `expertChoice` and `softMoE` say it (when given, it must agree). Filled in when resolved. */
  kind?: RoutingKind;
}

/** Router parameters. */
export interface RouterParams {
  /** [N, H] "gate.weight". */
  weight: Tensor;
  /** [N] "gate.bias" (gpt-oss), present exactly when `RouterConfig.bias`. */
  bias?: Tensor;
  /** [N] "gate.e_score_correction_bias" (DeepSeek-V3), selection only; present exactly when `RouterConfig.scoreCorrectionBias`. */
  scoreCorrectionBias?: Tensor;
  /** [N, H] "gate.w_noise", noisy top-k's noise projection; present exactly when `noise.kind` is 'noisy-top-k'. */
  noiseWeight?: Tensor;
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
  /**
   * [T] k-th minus (k+1)-th selection score (+Infinity when k = N): small means near-tie. With groups,
   * the smaller of that margin (among the kept groups) and the group margin.
   */
  margins: Tensor;
  /**
   * [T, N] the scores the top-k ranked: the scores, or the logits ('softmax-topk', selectOn 'logits',
   * noisy H), plus the correction bias, with −Infinity for experts outside the kept groups. `verify`
   * uses it to accept a near-tie flip only between experts close to the k-th boundary. Under expert
   * choice: the scores, which each expert ranks down its column over the tokens.
   */
  selectionScores: Tensor;
  /** Group-limited selection: group scores, kept groups, group margins (when `groups` is set). */
  groups?: GroupSelection;
  /** Capacity and drops (when `capacity` is set): the combine uses `capacity.combineWeights`. */
  capacity?: CapacityOutput;
  /**
   * The noise drawn (when `noise` is set and enabled): jitter multipliers, or noisy top-k's ε, standard
   * deviations and noisy logits H. With noisy top-k, `logits` stay the clean x·W_gᵀ while `scores` and
   * the weights come from H.
   */
  noise?: NoiseOutput;
  /**
   * Expert-choice routing (when `expertChoice` is set): the experts' chosen tokens and weights. No token
   * chooses then, so `topkIndices` and `topkWeights` are empty ([T, 0]) and `margins` [T] says how close
   * any expert's decision about each token is to flipping.
   */
  expertChoice?: ExpertChoiceOutput;
}

/** A router config with defaults filled in and every value checked; absent variants are null. */
export type ResolvedRouterConfig = Required<Omit<RouterConfig, 'groups' | 'capacity' | 'noise' | 'selectOn' | 'expertChoice' | 'softMoE' | 'kind'>> & {
  /** Filled in by resolveRouterConfig ('scores' unless set). */
  selectOn?: 'scores' | 'logits';
  groups?: GroupLimitedConfig;
  capacity?: ResolvedCapacityConfig;
  noise?: ResolvedNoiseConfig;
  /** Who chooses; 'token-choice' unless `expertChoice` or `softMoE` is set. (Under those two, `topK` is 0: no token chooses.) */
  kind?: RoutingKind;
  expertChoice?: ResolvedExpertChoiceConfig;
  softMoE?: ResolvedSoftMoEConfig;
};

/** Router settings of published models (k and the parameter flags are set separately). */
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
} as const satisfies Record<string, Omit<RouterConfig, 'topK'>>;

const ROUTER_KEYS = ['topK', 'scoring', 'normalization', 'normalizationEpsilon', 'pnormP', 'routedScalingFactor', 'bias', 'scoreCorrectionBias', 'groups', 'capacity', 'noise', 'selectOn', 'expertChoice', 'softMoE', 'kind'];

/** The token-choice settings of a router in which no token chooses (a resolved expert-choice or Soft MoE router holds these). */
const NO_TOKEN_CHOICE = { topK: 0, scoring: 'softmax', normalization: 'none', normalizationEpsilon: 0, pnormP: 1, routedScalingFactor: 1, bias: false, scoreCorrectionBias: false, selectOn: 'scores' } as const;

/**
 * The router of expert choice or Soft MoE: only the keys that algorithm reads are accepted (a `topK`
 * or a token-choice variant beside them is a mistake, refused with the reason). No token chooses, so
 * the resolved `topK` is 0 and the weight settings are those of raw scores.
 */
function resolveOtherRouting(config: RouterConfig, where: string): ResolvedRouterConfig {
  const kind: RoutingKind = config.expertChoice !== undefined ? 'expert-choice' : 'soft-moe';
  if (config.expertChoice !== undefined && config.softMoE !== undefined) {
    throw new MoEOracleError(`${where}.softMoE`, 'either expertChoice or softMoE (two routing algorithms)', 'both');
  }
  const allowed = kind === 'expert-choice' ? ['expertChoice', 'scoring', 'bias', 'kind'] : ['softMoE', 'kind'];
  checkOneOf(`${where}.kind`, config.kind ?? kind, [kind]);
  for (const key of ROUTER_KEYS) {
    const value = (config as Record<string, unknown>)[key];
    // A resolved config is itself valid: it carries the token-choice settings of "no token chooses".
    if (allowed.includes(key) || value === undefined || value === NO_TOKEN_CHOICE[key as keyof typeof NO_TOKEN_CHOICE]) continue;
    const why = key === 'topK'
      ? kind === 'expert-choice' ? 'each expert picks its tokens: expertChoice sets how many' : 'Soft MoE has no selection: every token reaches every slot'
      : `it belongs to token-choice routing`;
    throw new MoEOracleError(`${where}.${key}`, `no ${key} with ${kind === 'expert-choice' ? 'expertChoice' : 'softMoE'} (${why})`, describe(value));
  }
  const resolved: ResolvedRouterConfig = { ...NO_TOKEN_CHOICE, kind };
  if (config.expertChoice !== undefined) {
    // flaxformer, vmoe and the paper all rank softmax probabilities over the experts.
    checkOneOf(`${where}.scoring`, config.scoring ?? 'softmax', ['softmax'] as const);
    resolved.bias = checkBoolean(`${where}.bias`, config.bias, false);
    resolved.expertChoice = resolveExpertChoiceConfig(config.expertChoice, `${where}.expertChoice`);
  } else {
    resolved.softMoE = resolveSoftMoEConfig(config.softMoE!, `${where}.softMoE`);
  }
  return resolved;
}

/**
 * Checks a router config against the number of experts and fills in defaults. `where` names the
 * config in messages (`config.router` inside an MoE config).
 */
export function resolveRouterConfig(config: RouterConfig, numExperts: number, where = 'router'): ResolvedRouterConfig {
  checkPlainObject(where, config, ROUTER_KEYS);
  if (config.expertChoice !== undefined || config.softMoE !== undefined) return resolveOtherRouting(config, where);
  checkOneOf(`${where}.kind`, config.kind ?? 'token-choice', ['token-choice'] as const);
  const resolved: ResolvedRouterConfig = {
    topK: checkInteger(`${where}.topK`, config.topK, 1, numExperts),
    scoring: checkOneOf(`${where}.scoring`, config.scoring ?? 'softmax', SCORINGS),
    normalization: checkOneOf(`${where}.normalization`, config.normalization ?? 'sum', WEIGHT_NORMALIZATIONS),
    normalizationEpsilon: checkFiniteNumber(`${where}.normalizationEpsilon`, config.normalizationEpsilon ?? 0, 0),
    pnormP: checkFiniteNumber(`${where}.pnormP`, config.pnormP ?? 1, Number.MIN_VALUE),
    routedScalingFactor: checkFiniteNumber(`${where}.routedScalingFactor`, config.routedScalingFactor ?? 1, -FLOAT32_MAX, FLOAT32_MAX),
    bias: checkBoolean(`${where}.bias`, config.bias, false),
    scoreCorrectionBias: checkBoolean(`${where}.scoreCorrectionBias`, config.scoreCorrectionBias, false),
    selectOn: checkOneOf(`${where}.selectOn`, config.selectOn ?? 'scores', ['scores', 'logits'] as const),
    kind: 'token-choice',
  };
  if (config.noise !== undefined) resolved.noise = resolveNoiseConfig(config.noise, `${where}.noise`);
  if (resolved.scoreCorrectionBias && resolved.selectOn === 'logits') {
    throw new MoEOracleError(`${where}.selectOn`, "'scores' when a score-correction bias is used (the bias shifts scores, not logits)", "'logits'");
  }
  if (config.groups !== undefined) resolved.groups = resolveGroupLimitedConfig(config.groups, numExperts, resolved.topK, `${where}.groups`);
  if (config.capacity !== undefined) resolved.capacity = resolveCapacityConfig(config.capacity, resolved.topK, resolved.routedScalingFactor, `${where}.capacity`);
  if (resolved.scoreCorrectionBias && resolved.normalization === 'softmax-topk') {
    throw new MoEOracleError(`${where}.normalization`, 'a score-based normalisation when a score-correction bias is used (the bias shifts scores, not logits)', "'softmax-topk'");
  }
  return resolved;
}

/**
 * Combine weights of the chosen experts of one token, in float64.
 * `chosenScores` and `chosenLogits` are the float32 scores and logits at the chosen experts.
 */
export function normalizeWeights(
  chosenScores: ArrayLike<number>,
  chosenLogits: ArrayLike<number>,
  options: ResolvedRouterConfig,
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

/** Options of one router call. */
export interface RouteOptions extends BackendOption {
  /**
   * [T, k] int32: use these experts instead of the router's choice (Megatron's router replay), e.g. to
   * replay a backend's own routing. Weights are recomputed for them; `margins` still describe the
   * router's own ranking. Under expert choice: [G·N, c] int32, the tokens each expert takes (expert-choice.ts).
   */
  routingOverride?: IntTensor;
  /**
   * [T, k] int32 of 0 and 1: with `router.capacity`, keep exactly these slots instead of the drop
   * policy's choice, e.g. to replay a backend's drops where a near-tie of weights moved them ('probs').
   * Each expert's kept slots in a group must fit its capacity. `dropMargins` still describe the policy's own choice.
   */
  keptOverride?: IntTensor;
}

/** Checks one router call at the public boundary; returns the resolved config. */
function checkRouterCall(x: Tensor, params: RouterParams, config: RouterConfig, routingOverride: IntTensor | undefined, keptOverride?: IntTensor): ResolvedRouterConfig {
  checkShape('x', x, ['T', 'H']);
  const [tokens, hidden] = x.shape;
  if (typeof params !== 'object' || params === null) throw new MoEOracleError('params', 'router parameters { weight, bias?, scoreCorrectionBias? }', String(params));
  checkShape('gate.weight', params.weight, ['N', hidden]);
  const numExperts = params.weight.shape[0];
  const resolved = resolveRouterConfig(config, numExperts);
  if (resolved.softMoE !== undefined) {
    throw new MoEOracleError('config.softMoE', 'a token-choice or expert-choice router here (Soft MoE\'s router has its own parameters, router.mu and router.scale: use softMoERoute)', 'a Soft MoE config');
  }
  const optional = [
    ['bias', 'gate.bias', params.bias],
    ['scoreCorrectionBias', 'gate.e_score_correction_bias', params.scoreCorrectionBias],
  ] as const;
  const noisy = resolved.noise?.kind === 'noisy-top-k';
  if (noisy !== (params.noiseWeight !== undefined)) {
    throw new MoEOracleError('gate.w_noise', noisy ? `a [${numExperts}, ${hidden}] tensor (router.noise.kind is 'noisy-top-k')` : "no such parameter (no noisy top-k)", params.noiseWeight === undefined ? 'none' : 'a tensor');
  }
  if (params.noiseWeight !== undefined) {
    checkShape('gate.w_noise', params.noiseWeight, [numExperts, hidden]);
    checkFinite('gate.w_noise', params.noiseWeight);
  }
  for (const [flag, name, value] of optional) {
    if (resolved[flag] !== (value !== undefined)) {
      throw new MoEOracleError(name, resolved[flag] ? `a [${numExperts}] tensor (router.${flag} is true)` : `no such parameter (router.${flag} is false)`, value === undefined ? 'none' : 'a tensor');
    }
    if (value !== undefined) {
      checkShape(name, value, [numExperts]);
      checkFinite(name, value);
    }
  }
  checkFinite('x', x);
  checkFinite('gate.weight', params.weight);
  if (routingOverride !== undefined) checkRoutingOverride(routingOverride, resolved, tokens, numExperts);
  if (keptOverride !== undefined) checkKeptOverride(keptOverride, resolved, tokens);
  return resolved;
}

/** Checks a kept-slot override: [T, k] int32 of 0 and 1, only with capacity (its fit is checked by applyCapacity). */
export function checkKeptOverride(keptOverride: IntTensor, config: ResolvedRouterConfig, tokens: number): void {
  if (config.capacity === undefined) throw new MoEOracleError('keptOverride', 'no kept-slot override without router.capacity (nothing is dropped)', 'an override');
  checkShape('keptOverride', keptOverride, [tokens, config.topK], { kind: 'int32' });
  const data = contiguous(keptOverride).data;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0 && data[i] !== 1) throw new MoEOracleError(`keptOverride[${Math.floor(i / config.topK)}, ${i % config.topK}]`, '0 (dropped) or 1 (kept)', String(data[i]));
  }
}

/** Checks a routing override: [T, k] expert indices, or under expert choice [G·N, c] token indices. */
export function checkRoutingOverride(routingOverride: IntTensor, config: ResolvedRouterConfig, tokens: number, numExperts: number): void {
  if (config.expertChoice !== undefined) checkExpertChoiceSelection('routing override', routingOverride, config.expertChoice, tokens, numExperts);
  else checkSelection('routing override', routingOverride, tokens, config.topK, numExperts);
}

/** Device tensors of stage 1: logits, scores [T, N], and noisy top-k's noise logits x·W_noiseᵀ [T, N]. */
export interface RouterScoresOnDevice {
  logits: DeviceTensor;
  scores: DeviceTensor;
  noiseLogits?: DeviceTensor;
}

/**
 * Stage 1, on the backend: logits = x·W_gᵀ (+ b) and their scores (and x·W_noiseᵀ for noisy top-k).
 * x is the router's input (jittered when jitter is on), already on the device. Returns device tensors [T, N].
 */
export function routerScoresOnDevice(kernels: Kernels, x: DeviceTensor, params: RouterParams, config: ResolvedRouterConfig): RouterScoresOnDevice {
  const bias = params.bias === undefined ? undefined : kernels.upload(params.bias);
  const logits = kernels.linear(x, kernels.upload(params.weight), bias);
  const scores = config.scoring === 'softmax' ? kernels.softmax(logits) : kernels.activation(logits, 'sigmoid');
  const noisy = config.noise?.kind === 'noisy-top-k' && config.noise.enabled && params.noiseWeight !== undefined;
  return noisy ? { logits, scores, noiseLogits: kernels.linear(x, kernels.upload(params.noiseWeight!)) } : { logits, scores };
}

/** Stage 1's tensors read back to the host (synchronously), with the jitter multipliers when drawn. */
export interface RouterScores {
  logits: Tensor;
  scores: Tensor;
  noiseLogits?: Tensor;
  jitter?: Tensor;
}

/** Reads stage 1 back with `readSync`. */
export function readRouterScoresSync(kernels: Kernels, device: RouterScoresOnDevice, jitter?: Tensor): RouterScores {
  const read: RouterScores = { logits: kernels.readSync(device.logits), scores: kernels.readSync(device.scores), jitter };
  if (device.noiseLogits !== undefined) read.noiseLogits = kernels.readSync(device.noiseLogits);
  return read;
}

/** Reads stage 1 back with `await read`. */
export async function readRouterScores(kernels: Kernels, device: RouterScoresOnDevice, jitter?: Tensor): Promise<RouterScores> {
  const [logits, scores, noiseLogits] = await Promise.all([kernels.read(device.logits), kernels.read(device.scores), device.noiseLogits === undefined ? undefined : kernels.read(device.noiseLogits)]);
  const read: RouterScores = { logits, scores, jitter };
  if (noiseLogits !== undefined) read.noiseLogits = noiseLogits;
  return read;
}

/**
 * Stage 2, on the CPU for every backend (it is the specification): top-k under the tie rule on the
 * selection scores, then the weights. logits, scores [T, N] as read back from stage 1.
 */
export function selectExperts(
  read: RouterScores,
  config: ResolvedRouterConfig,
  scoreCorrectionBias: Tensor | undefined,
  routingOverride: IntTensor | undefined,
  keptOverride?: IntTensor,
): RouterOutput {
  const cleanLogits = read.logits;
  checkProducedFinite('router', 'logits', cleanLogits);
  let logits = cleanLogits;
  let scores = read.scores;
  let noise: NoiseOutput | undefined;
  if (read.jitter !== undefined) noise = { jitter: read.jitter };
  // Noisy top-k: selection and weights run on H = logits + ε·σ and its scores (noise.ts).
  if (read.noiseLogits !== undefined && config.noise?.kind === 'noisy-top-k') {
    const noisy = noisyLogitsOf(cleanLogits, read.noiseLogits, config.noise, config.scoring);
    checkProducedFinite('router', 'noisy_logits', noisy.logits);
    [logits, scores, noise] = [noisy.logits, noisy.scores, noisy.output];
  }
  const [tokens, numExperts] = logits.shape;
  if (config.expertChoice !== undefined) return expertChoiceRouterOutput(cleanLogits, scores, chooseTokens(scores, config.expertChoice, routingOverride));
  const k = config.topK;
  // Selection space: logits for 'softmax-topk' or selectOn 'logits', else scores (+ the selection-only bias).
  let selection = config.normalization === 'softmax-topk' || config.selectOn === 'logits' ? logits : scores;
  if (scoreCorrectionBias !== undefined) selection = addRowVector(scores, scoreCorrectionBias);
  // Group-limited selection: keep the best groups, mask the other experts with −Infinity.
  const grouped = config.groups === undefined ? undefined : limitToGroups(selection, config.groups, k);
  const selectionScores = grouped === undefined ? selection : grouped.masked;
  const ranked = topK(selectionScores, k, 'selection scores');
  if (grouped !== undefined) {
    for (let t = 0; t < tokens; t++) ranked.margins.data[t] = Math.min(ranked.margins.data[t], grouped.groups.groupMargins.data[t]);
  }
  const topkIndices = routingOverride === undefined ? ranked.indices : contiguous(routingOverride);

  const topkWeights = new Float32Array(tokens * k);
  const chosenScores = new Float64Array(k);
  const chosenLogits = new Float64Array(k);
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < k; j++) {
      const expert = topkIndices.data[t * k + j];
      chosenScores[j] = scores.data[t * numExperts + expert];
      chosenLogits[j] = logits.data[t * numExperts + expert];
    }
    topkWeights.set(normalizeWeights(chosenScores, chosenLogits, config, t), t * k);
  }
  const weights = tensor(topkWeights, [tokens, k]);
  checkProducedFinite('router', 'topk_weights', weights);
  const output: RouterOutput = { logits: cleanLogits, scores, topkIndices, topkWeights: weights, margins: ranked.margins, selectionScores };
  if (grouped !== undefined) output.groups = grouped.groups;
  if (noise !== undefined) output.noise = noise;
  if (config.capacity !== undefined) output.capacity = applyCapacity(topkIndices, weights, numExperts, config.capacity, keptOverride);
  return output;
}

/** The router's output under expert choice: no token chooses, so the token-choice tensors are empty. */
function expertChoiceRouterOutput(logits: Tensor, scores: Tensor, choice: ExpertChoiceOutput): RouterOutput {
  const tokens = logits.shape[0];
  return { logits, scores, topkIndices: intTensor(new Int32Array(0), [tokens, 0]), topkWeights: tensor(new Float32Array(0), [tokens, 0]), margins: choice.margins, selectionScores: scores, expertChoice: choice };
}

/**
 * Runs the router. x [T, H]; returns logits, scores, chosen experts, weights and margins (under expert
 * choice: `expertChoice`, the tokens each expert took, with empty [T, 0] token-choice tensors).
 */
export function route(x: Tensor, params: RouterParams, config: RouterConfig, options: RouteOptions = {}): RouterOutput {
  const checked = checkOptions('options', options);
  const resolved = checkRouterCall(x, params, config, checked.routingOverride, checked.keptOverride);
  const kernels = synchronousBackendOf(options, 'routeAsync');
  const { routerInput, multipliers } = routerInputOf(x, resolved.noise);
  const device = routerScoresOnDevice(kernels, kernels.upload(routerInput), params, resolved);
  return selectExperts(readRouterScoresSync(kernels, device, multipliers), resolved, params.scoreCorrectionBias, checked.routingOverride, checked.keptOverride);
}

/** `route` on any backend, synchronous or asynchronous (same result, bit for bit, on `cpu`). */
export async function routeAsync(x: Tensor, params: RouterParams, config: RouterConfig, options: RouteOptions = {}): Promise<RouterOutput> {
  const checked = checkOptions('options', options);
  const resolved = checkRouterCall(x, params, config, checked.routingOverride, checked.keptOverride);
  const kernels = backendOf(options);
  const { routerInput, multipliers } = routerInputOf(x, resolved.noise);
  const device = routerScoresOnDevice(kernels, kernels.upload(routerInput), params, resolved);
  return selectExperts(await readRouterScores(kernels, device, multipliers), resolved, params.scoreCorrectionBias, checked.routingOverride, checked.keptOverride);
}

/** scores [T, N] + bias [N], rounded to float32 (as DeepSeek-V3 adds its fp32 bias). */
function addRowVector(matrix: Tensor, row: Tensor): Tensor {
  const [rows, columns] = matrix.shape;
  const out = new Float32Array(rows * columns);
  const bias = contiguous(row).data;
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[r * columns + c] = matrix.data[r * columns + c] + bias[c];
  return tensor(out, [rows, columns]);
}
