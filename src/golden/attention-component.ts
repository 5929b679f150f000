/**
 * The `attention` component of the golden suite, `run` and `verify` (the table is components.ts):
 * one attention layer (src/attention) run as one pass over x [T, H], or as a prefill of the first P
 * tokens followed by token-by-token decoding through a contiguous or paged cache.
 *
 *   config   { attention: AttentionConfig, form: 'naive' | 'absorbed', prefillTokens: P | null,
 *              paged: { blockSize, numBlocks } | null }, stored with Hugging Face keys beside it;
 *            or a Hugging Face config.json (read by src/attention/hf-config.ts): one naive pass
 *   inputs   x [T, H]; block_table [⌈T / blockSize⌉] (I32) for a paged cache
 *   params   the layer's Hugging Face names (src/attention/params.ts)
 *   outputs  y [T, H]; one pass: attention_weights [n, T, T]; decoding: the final cache by part,
 *            cache_c_kv [T, d_c] and cache_k_rope [T, d_R] (MLA) or cache_keys, cache_values [T, n_kv·d]
 */
import { attention } from '../attention/attention.js';
import { cacheContents, createAttentionCache, createPagedAttentionCache, type AttentionCache } from '../attention/cache.js';
import { resolveAttentionConfig, type AttentionConfig } from '../attention/config.js';
import { MLA_FORMS, type MLAForm } from '../attention/mla.js';
import { attentionConfigFromHuggingFace } from '../attention/hf-config.js';
import { checkInteger, checkOneOf, checkPlainObject, MoEOracleError, describe } from '../tensor/errors.js';
import { tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import type { Component, TensorMap } from './components.js';

/** The config of an attention case. */
export interface AttentionCaseConfig {
  attention: AttentionConfig;
  form: MLAForm;
  /** null: one pass, no cache; P: prefill P tokens, then decode the rest one by one. */
  prefillTokens: number | null;
  /** A paged cache (decoding only); null: contiguous. */
  paged: { blockSize: number; numBlocks: number } | null;
}

/**
 * Reduction length K of an attention output along its longest chain of reductions, for the tolerance
 * model (tolerance.ts sums the lengths of chained reductions): the query projections, the latent
 * expansion (or absorption) and the scores, the softmax and the weighted sum over L keys, the output
 * projection.
 */
export function attentionReductionLength(config: AttentionConfig, keys: number): number {
  if (config.kind === 'mla') {
    const q = config.hiddenSize + (config.qLoraRank ?? 0);
    return q + config.kvLoraRank + Math.max(config.qkNopeHeadDim, config.kvLoraRank) + config.qkRopeHeadDim + 2 * keys + config.numHeads * config.vHeadDim;
  }
  return config.hiddenSize + config.headDim + 2 * keys + config.numHeads * config.headDim;
}

function parseAttentionCaseConfig(json: unknown): AttentionCaseConfig {
  const stored = json as Record<string, unknown>;
  const o = (typeof stored === 'object' && stored !== null && 'moe_oracle' in stored ? stored.moe_oracle : stored) as Record<string, unknown>;
  // A Hugging Face config.json (`run attention --config config.json`): one naive pass.
  if (typeof o === 'object' && o !== null && 'model_type' in o) return { attention: attentionConfigFromHuggingFace(o), form: 'naive', prefillTokens: null, paged: null };
  checkPlainObject('config', o, ['attention', 'form', 'prefillTokens', 'paged']);
  resolveAttentionConfig(o.attention as AttentionConfig);
  const form = checkOneOf('config.form', o.form ?? 'naive', MLA_FORMS);
  const prefillTokens = o.prefillTokens === undefined || o.prefillTokens === null ? null : checkInteger('config.prefillTokens', o.prefillTokens, 1);
  let paged: AttentionCaseConfig['paged'] = null;
  if (o.paged !== undefined && o.paged !== null) {
    const p = o.paged as Record<string, unknown>;
    checkPlainObject('config.paged', p, ['blockSize', 'numBlocks']);
    if (prefillTokens === null) throw new MoEOracleError('config.paged', 'null without prefillTokens (a one-pass case keeps no cache)', describe(p));
    paged = { blockSize: checkInteger('config.paged.blockSize', p.blockSize, 1), numBlocks: checkInteger('config.paged.numBlocks', p.numBlocks, 1) };
  }
  return { attention: o.attention as AttentionConfig, form, prefillTokens, paged };
}

/** Hugging Face keys of the attention config, for readers of the metadata. */
function huggingFaceKeys(config: AttentionConfig): Record<string, unknown> {
  const c = resolveAttentionConfig(config);
  const rope = c.rope === null ? {} : { rope_theta: c.rope.theta, rope_scaling: c.rope.scaling === null ? null : { type: 'yarn', factor: c.rope.scaling.factor, original_max_position_embeddings: c.rope.scaling.originalMaxPositionEmbeddings, beta_fast: c.rope.scaling.betaFast, beta_slow: c.rope.scaling.betaSlow, mscale: c.rope.scaling.mscale, mscale_all_dim: c.rope.scaling.mscaleAllDim } };
  if (c.kind === 'mla') {
    return { hidden_size: c.hiddenSize, num_attention_heads: c.numHeads, q_lora_rank: c.qLoraRank, kv_lora_rank: c.kvLoraRank, qk_nope_head_dim: c.qkNopeHeadDim, qk_rope_head_dim: c.qkRopeHeadDim, v_head_dim: c.vHeadDim, rms_norm_eps: c.rmsNormEps, attention_bias: c.attentionBias, rope_interleave: c.rope.layout !== 'half', ...rope };
  }
  return { hidden_size: c.hiddenSize, num_attention_heads: c.numHeads, num_key_value_heads: c.numKeyValueHeads, head_dim: c.headDim, attention_bias: c.attentionBias, ...rope };
}

function floatInput(inputs: TensorMap, name: string): Tensor {
  const t = inputs[name];
  if (t === undefined || !(t.data instanceof Float32Array)) throw new MoEOracleError(`inputs.${name}`, 'a float32 tensor', t === undefined ? 'no such tensor' : 'an int32 tensor');
  return t as Tensor;
}

/** Rows [from, to) of x [T, H]. */
function rows(x: Tensor, from: number, to: number): Tensor {
  const H = x.shape[1];
  return tensor(x.data.slice(from * H, to * H), [to - from, H]);
}

export const attentionComponent: Component<AttentionCaseConfig> = {
  name: 'attention',
  summary: 'one attention layer: MLA (naive or absorbed), MHA, GQA or MQA; one pass, or prefill + decode through a (paged) cache',
  parseConfig: parseAttentionCaseConfig,
  configToJson: (config) => ({ ...huggingFaceKeys(config.attention), moe_oracle: { ...config } }),
  run(config, inputs, params, _routingOverride, options) {
    const x = floatInput(inputs, 'x');
    const backend = options?.backend;
    if (config.prefillTokens === null) {
      const out = attention(x, params, config.attention, { form: config.form, backend });
      return { y: out.output, attention_weights: out.attentionWeights };
    }
    const T = x.shape[0];
    if (config.prefillTokens > T) throw new MoEOracleError('config.prefillTokens', `at most the ${T} tokens of inputs.x`, String(config.prefillTokens));
    let cache: AttentionCache;
    if (config.paged === null) cache = createAttentionCache(config.attention, { capacity: T });
    else {
      const blockTable = inputs.block_table as IntTensor | undefined;
      if (blockTable === undefined || !(blockTable.data instanceof Int32Array)) throw new MoEOracleError('inputs.block_table', 'an int32 tensor (a paged case)', blockTable === undefined ? 'no such tensor' : 'a float32 tensor');
      cache = createPagedAttentionCache(config.attention, { ...config.paged, blockTable: blockTable.data });
    }
    const outputs: Tensor[] = [attention(rows(x, 0, config.prefillTokens), params, config.attention, { form: config.form, cache, backend }).output];
    for (let t = config.prefillTokens; t < T; t++) outputs.push(attention(rows(x, t, t + 1), params, config.attention, { form: config.form, cache, backend }).output);
    const y = new Float32Array(x.size);
    let offset = 0;
    for (const part of outputs) {
      y.set(part.data, offset);
      offset += part.size;
    }
    const result: TensorMap = { y: tensor(y, x.shape) };
    for (const [part, values] of Object.entries(cacheContents(cache))) result[`cache_${part}`] = values;
    return result;
  },
  reductionLength(config, output) {
    if (output.startsWith('cache_')) return config.attention.hiddenSize + 1; // one projection, then a norm or rotation
    const keys = 64; // L: an upper bound on the committed cases' sequence lengths (K enters the tolerance as √K)
    if (output === 'attention_weights') return attentionReductionLength(config.attention, keys) - (config.attention.kind === 'mla' ? config.attention.numHeads * config.attention.vHeadDim : config.attention.numHeads * config.attention.headDim);
    return attentionReductionLength(config.attention, keys);
  },
  outputs: [
    { name: 'y' },
    { name: 'attention_weights', when: (config) => config.prefillTokens === null },
    { name: 'cache_c_kv', when: (config) => config.prefillTokens !== null && config.attention.kind === 'mla' },
    { name: 'cache_k_rope', when: (config) => config.prefillTokens !== null && config.attention.kind === 'mla' },
    { name: 'cache_keys', when: (config) => config.prefillTokens !== null && config.attention.kind !== 'mla' },
    { name: 'cache_values', when: (config) => config.prefillTokens !== null && config.attention.kind !== 'mla' },
  ],
};
