/**
 * The attention part of a Hugging Face config.json, read once per family:
 *
 *   llama, mixtral, qwen2_moe, qwen3_moe, olmoe, deepseek, gpt_oss
 *                        num_attention_heads, num_key_value_heads (default: the heads), head_dim
 *                        (default hidden_size / heads), attention_bias; Qwen2 biases q, k, v
 *                        (qkv_bias); Qwen3 norms each q and k head; OLMoE norms all of q and all of k
 *   deepseek_v2, deepseek_v3
 *                        multi-head latent attention: num_attention_heads, q_lora_rank (null: no query
 *                        latent), kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim, attention_bias
 *   dbrx                 n_heads, attn_config.kv_n_heads (default 1), head dim d_model / n_heads
 *   switch_transformers  num_heads, d_kv (T5 attention, no biases)
 *
 * and RoPE: rope_theta (DBRX attn_config.rope_theta; default 10000), rope_scaling (or transformers 5's
 * rope_parameters) with its type and, for YaRN, factor, original_max_position_embeddings, mscale,
 * mscale_all_dim, beta_fast, beta_slow. Switch (relative position bias) has no RoPE.
 *
 * Relations checked: the heads are a multiple of the key/value heads; without head_dim, hidden_size
 * is a multiple of the heads.
 *
 * `readHfAttention(json)` is the public entry (the MLA and attention code reads its config with it).
 */
import type { AttentionSpec, StandardAttentionSpec } from './model-description.js';
import { configFields, type ConfigFields } from './fields.js';
import { HF_MODEL_TYPES, hiddenSizeOf, type HfModelType } from './moe-block.js';

/** RoPE scaling as config.json gives it (`rope_scaling`); fields absent from the config are null. */
export interface HfRopeScaling {
  /** `rope_type` (or the older `type`): 'linear', 'dynamic', 'yarn', 'llama3', 'default', … */
  type: string;
  factor: number | null;
  originalMaxPositionEmbeddings: number | null;
  /** YaRN (DeepSeek): attention-scale factors. */
  mscale: number | null;
  mscaleAllDim: number | null;
  betaFast: number | null;
  betaSlow: number | null;
}

/** Rotary position embedding settings. */
export interface HfRope {
  theta: number;
  scaling: HfRopeScaling | null;
}

/** The attention of one layer: the projections (`spec`) and the positions (`rope`, null for Switch). */
export interface HfAttention {
  spec: AttentionSpec;
  rope: HfRope | null;
  /** max_position_embeddings (DBRX max_seq_len); null when the config does not give it. */
  maxPositionEmbeddings: number | null;
}

/** MHA or GQA, the kind following from the number of key/value heads. */
export function standardAttention(f: ConfigFields, parts: Omit<StandardAttentionSpec, 'kind'>, kvHeadsKey: string): StandardAttentionSpec {
  if (parts.numHeads % parts.numKeyValueHeads !== 0) f.fail(kvHeadsKey, `a divisor of the number of attention heads (${parts.numHeads})`);
  return { kind: parts.numKeyValueHeads === parts.numHeads ? 'mha' : 'gqa', ...parts };
}

/** The Llama-style keys: num_attention_heads, num_key_value_heads, head_dim, attention_bias. */
function llamaStyleAttention(f: ConfigFields, hiddenSize: number, extra: Partial<StandardAttentionSpec> = {}): StandardAttentionSpec {
  const numHeads = f.int('num_attention_heads');
  const bias = f.boolOr('attention_bias', false);
  return standardAttention(
    f,
    {
      numHeads,
      numKeyValueHeads: f.intOr('num_key_value_heads', numHeads, 1, numHeads),
      headDim: f.has('head_dim') ? f.int('head_dim') : f.quotient('hidden_size', hiddenSize, numHeads, 'num_attention_heads'),
      qkvBias: bias,
      outputBias: bias,
      queryNormSize: 0,
      keyNormSize: 0,
      ...extra,
    },
    'num_key_value_heads',
  );
}

/** The attention projections of a config of `modelType`. */
export function readAttentionSpec(f: ConfigFields, modelType: HfModelType): AttentionSpec {
  if (modelType === 'llama4') return readAttentionSpec(f.nested('text_config'), 'llama4_text');
  const hiddenSize = hiddenSizeOf(f, modelType);
  switch (modelType) {
    // Llama 4's query/key norm (use_qk_norm) is an L2 norm without weights: no parameters.
    case 'llama4_text':
    case 'llama':
    case 'deepseek':
      return llamaStyleAttention(f, hiddenSize);
    case 'gpt_oss':
      // GptOssAttention: q/k/v/o with attention_bias, plus `sinks` [num_attention_heads], one logit per head.
      return { ...llamaStyleAttention(f, hiddenSize), sinks: true };
    case 'mixtral':
      // MixtralAttention has no biases whatever the config says.
      return llamaStyleAttention(f, hiddenSize, { qkvBias: false, outputBias: false });
    case 'qwen2_moe':
      // Qwen2 has biases on q, k and v, none on o.
      return llamaStyleAttention(f, hiddenSize, { qkvBias: f.boolOr('qkv_bias', true), outputBias: false });
    case 'qwen3_moe': {
      // Qwen3 normalises every query and key head (q_norm, k_norm of width head_dim).
      const base = llamaStyleAttention(f, hiddenSize);
      const qkNorm = f.boolOr('qk_norm', f.boolOr('use_qk_norm', true));
      return { ...base, queryNormSize: qkNorm ? base.headDim : 0, keyNormSize: qkNorm ? base.headDim : 0 };
    }
    case 'olmoe': {
      // OlmoeAttention: q_norm over all query heads, k_norm over all key heads.
      const base = llamaStyleAttention(f, hiddenSize);
      return { ...base, queryNormSize: base.numHeads * base.headDim, keyNormSize: base.numKeyValueHeads * base.headDim };
    }
    case 'deepseek_v2':
    case 'deepseek_v3':
      return {
        kind: 'mla',
        numHeads: f.int('num_attention_heads'),
        qLoraRank: f.intOrNull('q_lora_rank'),
        kvLoraRank: f.int('kv_lora_rank'),
        qkNopeHeadDim: f.int('qk_nope_head_dim'),
        qkRopeHeadDim: f.int('qk_rope_head_dim'),
        vHeadDim: f.int('v_head_dim'),
        bias: f.boolOr('attention_bias', false),
      };
    case 'dbrx': {
      const numHeads = f.int('n_heads');
      return standardAttention(
        f.nestedOrEmpty('attn_config'),
        {
          numHeads,
          numKeyValueHeads: f.nestedOrEmpty('attn_config').intOr('kv_n_heads', 1, 1, numHeads),
          headDim: f.quotient('d_model', hiddenSize, numHeads, 'n_heads'),
          qkvBias: false,
          outputBias: false,
          queryNormSize: 0,
          keyNormSize: 0,
        },
        'kv_n_heads',
      );
    }
    case 'switch_transformers': {
      const numHeads = f.int('num_heads');
      return standardAttention(f, { numHeads, numKeyValueHeads: numHeads, headDim: f.int('d_kv'), qkvBias: false, outputBias: false, queryNormSize: 0, keyNormSize: 0 }, 'num_heads');
    }
  }
}

/** rope_theta and rope_scaling (rope_parameters in transformers 5). */
function readRope(f: ConfigFields, modelType: HfModelType): HfRope | null {
  if (modelType === 'switch_transformers') return null;
  const from = modelType === 'dbrx' ? f.nestedOrEmpty('attn_config') : modelType === 'llama4' ? f.nested('text_config') : f;
  const scalingKey = from.has('rope_scaling') ? 'rope_scaling' : 'rope_parameters';
  const scaling = from.nestedOrEmpty(scalingKey);
  const theta = from.numberOr('rope_theta', scaling.numberOr('rope_theta', 10000, Number.MIN_VALUE), Number.MIN_VALUE);
  const typeKey = scaling.has('rope_type') ? 'rope_type' : 'type';
  const type = scaling.has(typeKey) ? scaling.stringOr(typeKey, 'default') : null;
  const optional = (key: string) => (scaling.has(key) ? scaling.number(key, 0) : null);
  return {
    theta,
    scaling:
      type === null || type === 'default'
        ? null
        : {
            type,
            factor: optional('factor'),
            originalMaxPositionEmbeddings: scaling.has('original_max_position_embeddings') ? scaling.int('original_max_position_embeddings') : null,
            mscale: optional('mscale'),
            mscaleAllDim: optional('mscale_all_dim'),
            betaFast: optional('beta_fast'),
            betaSlow: optional('beta_slow'),
          },
  };
}

/**
 * Reads the attention of a config.json: its projections (MHA / GQA / MLA, with their sizes), RoPE and
 * the maximum position.
 *
 * @throws MoEOracleError naming the key: an unknown model_type, a missing or mistyped key, heads that
 *   are not a multiple of the key/value heads
 */
export function readHfAttention(json: unknown, where = 'config'): HfAttention {
  const { fields, modelType } = configFields(json, where, HF_MODEL_TYPES);
  const maxKey = modelType === 'dbrx' ? 'max_seq_len' : 'max_position_embeddings';
  const text = modelType === 'llama4' ? fields.nested('text_config') : fields;
  return {
    spec: readAttentionSpec(fields, modelType),
    rope: readRope(fields, modelType),
    maxPositionEmbeddings: text.has(maxKey) ? text.int(maxKey) : null,
  };
}
