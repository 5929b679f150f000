/**
 * Configuration of one attention layer: multi-head latent attention (MLA, DeepSeek-V2/V3) or one of
 * its baselines, multi-head (MHA), grouped-query (GQA, Mixtral) and multi-query attention (MQA). One
 * shape per kind, validated once at the public boundary (`resolveAttentionConfig`); the layer then
 * calls unchecked code. Field docs name the Hugging Face config.json keys each corresponds to.
 *
 *   MLA   { kind: 'mla', hiddenSize, numHeads, qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim,
 *           rope?, rmsNormEps?, attentionBias? }
 *   MHA / GQA / MQA  { kind, hiddenSize, numHeads, numKeyValueHeads?, headDim, rope?, attentionBias? }
 *   rope  { theta?, layout?, scaling?: YaRN }
 *
 * Sources: DeepSeek-V2 paper (arXiv:2405.04434) section 2.1 and appendix C; DeepSeek-V3
 * inference/model.py (`ModelArgs`, `MLA`); Hugging Face `DeepseekV3Config`, `DeepseekV2Config`,
 * `MixtralConfig`, and `_compute_yarn_parameters` in modeling_rope_utils.py.
 */
import { checkBoolean, checkFiniteNumber, checkInteger, checkOneOf, checkPlainObject, MoEOracleError, describe } from '../tensor/errors.js';
import type { RopeLayout } from '../backends/kernels.js';

export type { RopeLayout };

/** The RoPE layouts (src/backends/cpu/rope.ts): which features form a pair, where results go. */
export const ROPE_LAYOUTS: readonly RopeLayout[] = ['interleaved', 'half', 'hf-interleave'];

/** The attention kinds. */
export type AttentionKind = 'mla' | 'mha' | 'gqa' | 'mqa';
export const ATTENTION_KINDS: readonly AttentionKind[] = ['mla', 'mha', 'gqa', 'mqa'];

/**
 * YaRN context extension (Peng et al. 2023, arXiv:2309.00071) [rope_scaling with type / rope_type "yarn"].
 * `variant` picks whose formulas apply (the two disagree; rope.ts lists the differences): 'hf'
 * (Hugging Face `_compute_yarn_parameters` and `DeepseekV3Attention`: floor / ceil correction range,
 * a cos/sin factor, softmax mscale from mscale_all_dim) or 'deepseek' (DeepSeek-V3
 * inference/model.py `precompute_freqs_cis` and `MLA`: rounded correction range, ramp denominator
 * high − low + 0.001, no cos/sin factor, softmax mscale from mscale).
 */
export interface YarnScaling {
  type: 'yarn';
  /** s [factor]. */
  factor: number;
  /** The pre-extension context [original_max_position_embeddings]. */
  originalMaxPositionEmbeddings: number;
  /** [beta_fast], default 32. */
  betaFast?: number;
  /** [beta_slow], default 1. */
  betaSlow?: number;
  /** [mscale], default 1: with mscaleAllDim, sets the cos/sin factor (see rope.ts). */
  mscale?: number;
  /** [mscale_all_dim], default 0: the softmax-scale correction of MLA (0: none). */
  mscaleAllDim?: number;
  /** [attention_factor]: overrides the cos/sin factor (null or absent: from mscale, rope.ts). */
  attentionFactor?: number | null;
  /** Default 'hf'. */
  variant?: 'hf' | 'deepseek';
}

/** Rotary position embedding settings. */
export interface RopeConfig {
  /** Base θ [rope_theta], default 10000. */
  theta?: number;
  /** Default 'interleaved' for MLA (DeepSeek's reference), 'half' otherwise (Hugging Face Llama / Mixtral). */
  layout?: RopeLayout;
  /** [rope_scaling]; null or absent: none. */
  scaling?: YarnScaling | null;
}

/** Multi-head latent attention. Shapes in the docs: H hiddenSize, n numHeads, d_c kvLoraRank, d_c' qLoraRank. */
export interface MLAConfig {
  kind: 'mla';
  /** H [hidden_size]. */
  hiddenSize: number;
  /** n [num_attention_heads]. */
  numHeads: number;
  /** d_c' [q_lora_rank]; null: queries projected directly by one q_proj (DeepSeek-V2-Lite). */
  qLoraRank: number | null;
  /** d_c [kv_lora_rank]. */
  kvLoraRank: number;
  /** d_h [qk_nope_head_dim]. */
  qkNopeHeadDim: number;
  /** d_h^R [qk_rope_head_dim]: even (0: no rope part). */
  qkRopeHeadDim: number;
  /** [v_head_dim]. */
  vHeadDim: number;
  rope?: RopeConfig;
  /** [rms_norm_eps] of q_a_layernorm and kv_a_layernorm, default 1e-6. */
  rmsNormEps?: number;
  /** [attention_bias]: biases on q_a_proj, kv_a_proj_with_mqa and o_proj; default false. */
  attentionBias?: boolean;
}

/** MHA, GQA or MQA. */
export interface StandardAttentionConfig {
  kind: 'mha' | 'gqa' | 'mqa';
  /** H [hidden_size]. */
  hiddenSize: number;
  /** n [num_attention_heads]. */
  numHeads: number;
  /** [num_key_value_heads]: MHA numHeads (the default), MQA 1 (the default), GQA a divisor of numHeads (required). */
  numKeyValueHeads?: number;
  /** d [head_dim], even. */
  headDim: number;
  /** RoPE on the whole head; null: no positional rotation (a NoPE layer, used to compare MLA without a rope part). */
  rope?: RopeConfig | null;
  /** [attention_bias]: biases on q, k, v and o; default false. */
  attentionBias?: boolean;
}

export type AttentionConfig = MLAConfig | StandardAttentionConfig;

/** Resolved rope settings. */
export interface ResolvedRopeConfig {
  theta: number;
  layout: RopeLayout;
  scaling: Required<Omit<YarnScaling, 'attentionFactor'>> & { attentionFactor: number | null } | null;
}

export interface ResolvedMLAConfig extends Required<Omit<MLAConfig, 'rope'>> {
  rope: ResolvedRopeConfig;
}

export interface ResolvedStandardAttentionConfig extends Required<Omit<StandardAttentionConfig, 'rope'>> {
  rope: ResolvedRopeConfig | null;
}

export type ResolvedAttentionConfig = ResolvedMLAConfig | ResolvedStandardAttentionConfig;

/** Checks rope settings (raw, or already resolved: resolving is idempotent) and fills in defaults; `where` names them. */
export function resolveRope(value: unknown, defaultLayout: RopeLayout, where = 'config.rope'): ResolvedRopeConfig {
  const rope = (value ?? {}) as RopeConfig;
  checkPlainObject(where, rope, ['theta', 'layout', 'scaling']);
  const theta = checkFiniteNumber(`${where}.theta`, rope.theta ?? 10000, 1);
  if (theta <= 1) throw new MoEOracleError(`${where}.theta`, 'a number greater than 1', describe(theta));
  const layout = checkOneOf(`${where}.layout`, rope.layout ?? defaultLayout, ROPE_LAYOUTS);
  if (rope.scaling === undefined || rope.scaling === null) return { theta, layout, scaling: null };
  const s = rope.scaling;
  checkPlainObject(`${where}.scaling`, s, ['type', 'factor', 'originalMaxPositionEmbeddings', 'betaFast', 'betaSlow', 'mscale', 'mscaleAllDim', 'attentionFactor', 'variant']);
  checkOneOf(`${where}.scaling.type`, s.type, ['yarn']);
  const betaFast = checkFiniteNumber(`${where}.scaling.betaFast`, s.betaFast ?? 32, 0);
  const betaSlow = checkFiniteNumber(`${where}.scaling.betaSlow`, s.betaSlow ?? 1, 0);
  if (!(betaFast > 0 && betaSlow > 0)) throw new MoEOracleError(`${where}.scaling.betaFast, betaSlow`, 'positive numbers', `${betaFast}, ${betaSlow}`);
  return {
    theta,
    layout,
    scaling: {
      type: 'yarn',
      factor: checkFiniteNumber(`${where}.scaling.factor`, s.factor, 1),
      originalMaxPositionEmbeddings: checkInteger(`${where}.scaling.originalMaxPositionEmbeddings`, s.originalMaxPositionEmbeddings, 1),
      betaFast,
      betaSlow,
      mscale: checkFiniteNumber(`${where}.scaling.mscale`, s.mscale ?? 1, 0),
      mscaleAllDim: checkFiniteNumber(`${where}.scaling.mscaleAllDim`, s.mscaleAllDim ?? 0, 0),
      attentionFactor: s.attentionFactor === undefined || s.attentionFactor === null ? null : checkFiniteNumber(`${where}.scaling.attentionFactor`, s.attentionFactor, 0),
      variant: checkOneOf(`${where}.scaling.variant`, s.variant ?? 'hf', ['hf', 'deepseek'] as const),
    },
  };
}

/** Throws unless a rotary width is even (RoPE rotates pairs of features). */
function checkEven(argument: string, value: number): number {
  if (value % 2 !== 0) throw new MoEOracleError(argument, 'an even number (RoPE rotates pairs of features)', String(value));
  return value;
}

/** Checks an MLA config and fills in defaults. */
export function resolveMLAConfig(config: MLAConfig): ResolvedMLAConfig {
  checkPlainObject('config', config, ['kind', 'hiddenSize', 'numHeads', 'qLoraRank', 'kvLoraRank', 'qkNopeHeadDim', 'qkRopeHeadDim', 'vHeadDim', 'rope', 'rmsNormEps', 'attentionBias']);
  checkOneOf('config.kind', config.kind, ['mla']);
  if (config.qLoraRank === undefined) throw new MoEOracleError('config.qLoraRank', 'an integer >= 1, or null for a direct q_proj', 'undefined');
  const qkNopeHeadDim = checkInteger('config.qkNopeHeadDim', config.qkNopeHeadDim, 0);
  const qkRopeHeadDim = checkEven('config.qkRopeHeadDim', checkInteger('config.qkRopeHeadDim', config.qkRopeHeadDim, 0));
  if (qkNopeHeadDim + qkRopeHeadDim === 0) throw new MoEOracleError('config.qkNopeHeadDim + qkRopeHeadDim', 'at least 1 (the query/key head width)', '0');
  return {
    kind: 'mla',
    hiddenSize: checkInteger('config.hiddenSize', config.hiddenSize, 1),
    numHeads: checkInteger('config.numHeads', config.numHeads, 1),
    qLoraRank: config.qLoraRank === null ? null : checkInteger('config.qLoraRank', config.qLoraRank, 1),
    kvLoraRank: checkInteger('config.kvLoraRank', config.kvLoraRank, 1),
    qkNopeHeadDim,
    qkRopeHeadDim,
    vHeadDim: checkInteger('config.vHeadDim', config.vHeadDim, 1),
    rope: resolveRope(config.rope, 'interleaved'),
    rmsNormEps: checkFiniteNumber('config.rmsNormEps', config.rmsNormEps ?? 1e-6, 0),
    attentionBias: checkBoolean('config.attentionBias', config.attentionBias, false),
  };
}

/** Checks an MHA / GQA / MQA config and fills in defaults. */
export function resolveStandardAttentionConfig(config: StandardAttentionConfig): ResolvedStandardAttentionConfig {
  checkPlainObject('config', config, ['kind', 'hiddenSize', 'numHeads', 'numKeyValueHeads', 'headDim', 'rope', 'attentionBias']);
  const kind = checkOneOf('config.kind', config.kind, ['mha', 'gqa', 'mqa'] as const);
  const numHeads = checkInteger('config.numHeads', config.numHeads, 1);
  if (kind === 'gqa' && config.numKeyValueHeads === undefined) throw new MoEOracleError('config.numKeyValueHeads', 'an integer dividing numHeads for GQA', 'undefined');
  const numKeyValueHeads = checkInteger('config.numKeyValueHeads', config.numKeyValueHeads ?? (kind === 'mqa' ? 1 : numHeads), 1, numHeads);
  if (numHeads % numKeyValueHeads !== 0) throw new MoEOracleError('config.numKeyValueHeads', `a divisor of numHeads (${numHeads})`, String(numKeyValueHeads));
  if (kind === 'mha' && numKeyValueHeads !== numHeads) throw new MoEOracleError('config.numKeyValueHeads', `numHeads (${numHeads}) for MHA`, String(numKeyValueHeads));
  if (kind === 'mqa' && numKeyValueHeads !== 1) throw new MoEOracleError('config.numKeyValueHeads', '1 for MQA', String(numKeyValueHeads));
  return {
    kind,
    hiddenSize: checkInteger('config.hiddenSize', config.hiddenSize, 1),
    numHeads,
    numKeyValueHeads,
    headDim: checkEven('config.headDim', checkInteger('config.headDim', config.headDim, 2)),
    rope: config.rope === null ? null : resolveRope(config.rope, 'half'),
    attentionBias: checkBoolean('config.attentionBias', config.attentionBias, false),
  };
}

/** Checks any attention config (by its `kind`) and fills in defaults. */
export function resolveAttentionConfig(config: AttentionConfig): ResolvedAttentionConfig {
  if (typeof config !== 'object' || config === null) throw new MoEOracleError('config', 'an attention config object', describe(config));
  const kind = checkOneOf('config.kind', (config as { kind?: unknown }).kind, ATTENTION_KINDS);
  return kind === 'mla' ? resolveMLAConfig(config as MLAConfig) : resolveStandardAttentionConfig(config as StandardAttentionConfig);
}
