/**
 * An attention config (config.ts) from a Hugging Face config.json, through the project's one reader
 * (src/hf): `readHfAttention` gives the projections and RoPE, `configFields` the keys beside them
 * (hidden_size, rms_norm_eps, rope_interleave). Nothing here parses config.json itself.
 *
 *   deepseek_v2, deepseek_v3   → MLAConfig: q_lora_rank (null: q_proj), kv_lora_rank, qk_nope_head_dim,
 *                                qk_rope_head_dim, v_head_dim, attention_bias, rms_norm_eps, rope_theta,
 *                                rope_scaling (YaRN only), RoPE layout from rope_interleave:
 *                                true → 'hf-interleave', false → 'half'; absent → 'hf-interleave' for
 *                                deepseek_v3 (DeepseekV3Config's default) and 'interleaved' (DeepSeek's
 *                                reference pairs) for deepseek_v2; both give the same attention
 *   llama, mixtral, qwen, olmoe, dbrx, gpt_oss → MHA or GQA (MQA with one key/value head), 'half' layout
 *
 * `options.layout` and `options.yarnVariant` override the layout and the YaRN formulas ('hf' default).
 * Refused with the key named: a rope_scaling type other than YaRN, a YaRN without factor or
 * original_max_position_embeddings, per-head q/k norms (Qwen3, OLMoE), biases on q, k, v but not o
 * (Qwen2), attention without RoPE (Switch).
 */
import { checkOptions, MoEOracleError } from '../tensor/errors.js';
import { readHfAttention, type HfRope } from '../hf/attention.js';
import { configFields } from '../hf/fields.js';
import { HF_MODEL_TYPES, hiddenSizeOf } from '../hf/moe-block.js';
import type { AttentionConfig, RopeConfig, RopeLayout, YarnScaling } from './config.js';

function ropeOf(rope: HfRope, layout: RopeLayout, variant: 'hf' | 'deepseek'): RopeConfig {
  const s = rope.scaling;
  if (s === null) return { theta: rope.theta, layout, scaling: null };
  if (s.type !== 'yarn') throw new MoEOracleError('config.rope_scaling.type', "'yarn' (the only RoPE scaling the attention reference implements) or none", JSON.stringify(s.type));
  if (s.factor === null || s.originalMaxPositionEmbeddings === null) {
    throw new MoEOracleError('config.rope_scaling', 'factor and original_max_position_embeddings for YaRN', 'a rope_scaling without them');
  }
  const scaling: YarnScaling = { type: 'yarn', factor: s.factor, originalMaxPositionEmbeddings: s.originalMaxPositionEmbeddings, variant };
  if (s.betaFast !== null) scaling.betaFast = s.betaFast;
  if (s.betaSlow !== null) scaling.betaSlow = s.betaSlow;
  if (s.mscale !== null) scaling.mscale = s.mscale;
  if (s.mscaleAllDim !== null) scaling.mscaleAllDim = s.mscaleAllDim;
  return { theta: rope.theta, layout, scaling };
}

/** The attention config of a Hugging Face config.json (the layer's attention; every layer has the same). */
export function attentionConfigFromHuggingFace(json: unknown, options: { layout?: RopeLayout; yarnVariant?: 'hf' | 'deepseek' } = {}): AttentionConfig {
  checkOptions('options', options);
  const { fields, modelType } = configFields(json, 'config', HF_MODEL_TYPES);
  const { spec, rope } = readHfAttention(json);
  const hiddenSize = hiddenSizeOf(fields, modelType);
  const variant = options.yarnVariant ?? 'hf';
  if (rope === null) throw new MoEOracleError('config.model_type', 'a model with rotary position embeddings', `${JSON.stringify(modelType)} (relative position bias)`);
  if (spec.kind === 'mla') {
    const defaultLayout: RopeLayout = fields.has('rope_interleave') ? (fields.boolOr('rope_interleave', true) ? 'hf-interleave' : 'half') : modelType === 'deepseek_v3' ? 'hf-interleave' : 'interleaved';
    return {
      kind: 'mla', hiddenSize, numHeads: spec.numHeads, qLoraRank: spec.qLoraRank, kvLoraRank: spec.kvLoraRank,
      qkNopeHeadDim: spec.qkNopeHeadDim, qkRopeHeadDim: spec.qkRopeHeadDim, vHeadDim: spec.vHeadDim,
      rope: ropeOf(rope, options.layout ?? defaultLayout, variant),
      rmsNormEps: fields.numberOr('rms_norm_eps', 1e-6, 0),
      attentionBias: spec.bias,
    };
  }
  if (spec.queryNormSize > 0 || spec.keyNormSize > 0) throw new MoEOracleError('config.model_type', 'attention without q/k norms (not implemented here)', JSON.stringify(modelType));
  if (spec.qkvBias !== spec.outputBias) throw new MoEOracleError('config.attention_bias', 'biases on all of q, k, v and o, or on none (Qwen2 biases only q, k, v: not implemented here)', JSON.stringify(modelType));
  const kind = spec.numKeyValueHeads === spec.numHeads ? 'mha' : spec.numKeyValueHeads === 1 ? 'mqa' : 'gqa';
  return {
    kind, hiddenSize, numHeads: spec.numHeads, numKeyValueHeads: spec.numKeyValueHeads, headDim: spec.headDim,
    rope: ropeOf(rope, options.layout ?? 'half', variant), attentionBias: spec.qkvBias,
  };
}
