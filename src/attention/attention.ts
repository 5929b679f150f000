/**
 * One entry for every attention kind (MLA in its naive or absorbed form, MHA, GQA, MQA), with or
 * without a KV cache: prefill is a call with T tokens, decoding is a call with 1 token, each on the
 * same cache (cache.ts). Follows Hugging Face's `DeepseekV3Attention.forward(hidden_states, …,
 * past_key_value)` and DeepSeek-V3 inference/model.py `MLA.forward(x, start_pos, …)`.
 *
 *   positions   without a cache: positionOffset + t (default offset 0); with one: cache.length + t
 *   causal      query t (at position p_t) sees every key at a position ≤ p_t
 *
 * Stages, as in src/moe/layer.ts: (1) on the backend, project the new tokens into queries and cache
 * rows; (2) with a cache, read the new rows back, append them on the host, upload every cached row
 * (paged: gathered through the block table); without one, the new rows stay on the device; (3) on the
 * backend, attend and project out. `attention` joins the stages with `readSync`, `attentionAsync` with
 * `await read`; both run the same stage functions.
 *
 *   x [T, H] → output [T, H], attentionWeights [n, T, L]  (L = tokens cached before + T)
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { backendOf, synchronousBackendOf, type BackendOption } from '../backends/registry.js';
import { checkInteger, checkOneOf, checkOptions, MoEOracleError } from '../tensor/errors.js';
import { checkFinite, checkProducedFinite, checkShape, contiguous, type Tensor } from '../tensor/tensor.js';
import type { StateDict } from '../moe/params.js';
import { resolveAttentionConfig, type AttentionConfig, type ResolvedAttentionConfig } from './config.js';
import { appendCacheRows, cachedRowsOnDevice, checkCacheFor, type AttentionCache } from './cache.js';
import { attendMLA, loadMLAWeights, MLA_FORMS, projectMLA, type MLAForm, type MLAQueries, type MLAWeights } from './mla.js';
import { attendStandard, loadStandardWeights, projectStandard, type StandardAttentionWeights } from './standard.js';

/** Options of one attention call. */
export interface AttentionOptions extends BackendOption {
  /** MLA only: 'naive' (default) or 'absorbed'. */
  form?: MLAForm;
  /** The layer's KV cache: the new tokens' rows are appended, and they attend to every cached token. */
  cache?: AttentionCache;
  /** Which layer this call is (checked against the cache's); default 0. */
  layerIndex?: number;
  /** Position of the first token. Without a cache default 0; with one it must equal cache.length. */
  positionOffset?: number;
}

/** Output of one attention call. */
export interface AttentionOutput {
  /** [T, H] */
  output: Tensor;
  /** [n, T, L] softmax probabilities; masked (future) keys are exactly 0. */
  attentionWeights: Tensor;
}

/** A call checked at the boundary. */
interface CheckedCall {
  config: ResolvedAttentionConfig;
  form: MLAForm;
  weights: MLAWeights | StandardAttentionWeights;
  x: Tensor;
  positions: Int32Array;
  cache?: AttentionCache;
}

function checkCall(x: Tensor, params: StateDict, config: AttentionConfig, options: AttentionOptions): CheckedCall {
  checkOptions('options', options);
  const resolved = resolveAttentionConfig(config);
  checkShape('x', x, ['T', resolved.hiddenSize]);
  checkFinite('x', x);
  const tokens = x.shape[0];
  const form = checkOneOf('options.form', options.form ?? 'naive', MLA_FORMS);
  if (resolved.kind !== 'mla' && form !== 'naive') throw new MoEOracleError('options.form', `'naive' (the only form of ${resolved.kind.toUpperCase()})`, JSON.stringify(form));
  const layerIndex = checkInteger('options.layerIndex', options.layerIndex ?? 0, 0);
  const cache = options.cache;
  let first: number;
  if (cache !== undefined) {
    checkCacheFor(cache, resolved, layerIndex, tokens);
    if (options.positionOffset !== undefined && options.positionOffset !== cache.length) {
      throw new MoEOracleError('options.positionOffset', `the cache's length ${cache.length} (the next position of this sequence)`, String(options.positionOffset));
    }
    first = cache.length;
  } else {
    first = checkInteger('options.positionOffset', options.positionOffset ?? 0, 0, 2 ** 31 - 1 - tokens);
  }
  const weights = resolved.kind === 'mla' ? loadMLAWeights(params, resolved, form) : loadStandardWeights(params, resolved);
  return { config: resolved, form, weights, x: contiguous(x), positions: Int32Array.from({ length: tokens }, (_, t) => first + t), cache };
}

/** Stage 1 on the backend. */
function project(kernels: Kernels, call: CheckedCall): { queries: MLAQueries | DeviceTensor; newRows: DeviceTensor } {
  const x = kernels.upload(call.x);
  if (call.config.kind === 'mla') return projectMLA(kernels, call.config, call.weights as MLAWeights, x, call.positions);
  return projectStandard(kernels, call.config, call.weights as StandardAttentionWeights, x, call.positions);
}

/** Stage 3 on the backend. */
function attend(kernels: Kernels, call: CheckedCall, queries: MLAQueries | DeviceTensor, rows: DeviceTensor): { output: DeviceTensor; weights: DeviceTensor } {
  if (call.config.kind === 'mla') return attendMLA(kernels, call.config, call.weights as MLAWeights, call.form, queries as MLAQueries, rows);
  return attendStandard(kernels, call.config, call.weights as StandardAttentionWeights, queries as DeviceTensor, rows);
}

/** Stage 2 with a cache, on the host: append the rows read back, upload every cached row. */
function cacheStage(kernels: Kernels, cache: AttentionCache, newRows: Tensor): DeviceTensor {
  checkProducedFinite('attention', 'cache rows', newRows);
  appendCacheRows(cache, newRows);
  return cachedRowsOnDevice(kernels, cache);
}

function assemble(output: Tensor, attentionWeights: Tensor): AttentionOutput {
  checkProducedFinite('attention', 'output', output);
  checkProducedFinite('attention', 'attention_weights', attentionWeights);
  return { output, attentionWeights };
}

/**
 * Attention of x [T, H] on a synchronous backend (default `cpu`): MLA (naive or absorbed), MHA, GQA
 * or MQA by `config.kind`. With `options.cache`, appends the tokens' cache rows and attends to every
 * cached token (prefill: T tokens; decode: 1).
 */
export function attention(x: Tensor, params: StateDict, config: AttentionConfig, options: AttentionOptions = {}): AttentionOutput {
  const call = checkCall(x, params, config, options);
  const kernels = synchronousBackendOf(options, 'attentionAsync');
  const { queries, newRows } = project(kernels, call);
  const rows = call.cache === undefined ? newRows : cacheStage(kernels, call.cache, kernels.readSync(newRows));
  const result = attend(kernels, call, queries, rows);
  return assemble(kernels.readSync(result.output), kernels.readSync(result.weights));
}

/** `attention` on any backend, synchronous or asynchronous: the same stages, joined with `await`. */
export async function attentionAsync(x: Tensor, params: StateDict, config: AttentionConfig, options: AttentionOptions = {}): Promise<AttentionOutput> {
  const call = checkCall(x, params, config, options);
  const kernels = backendOf(options);
  const { queries, newRows } = project(kernels, call);
  const rows = call.cache === undefined ? newRows : cacheStage(kernels, call.cache, await kernels.read(newRows));
  const result = attend(kernels, call, queries, rows);
  return assemble(await kernels.read(result.output), await kernels.read(result.weights));
}
