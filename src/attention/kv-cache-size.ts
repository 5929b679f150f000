/**
 * KV-cache arithmetic: how many values (and bytes) one token leaves in the cache, per layer, for a
 * model, and for a whole sequence, for MHA, GQA, MQA and MLA. The DeepSeek-V2 paper (arXiv:2405.04434,
 * section 2.1.4, Table 1) compares them, with n_h heads, d_h the head dim, n_g KV groups, l layers:
 *
 *   MHA   2 · n_h · d_h · l           a key and a value per head
 *   GQA   2 · n_g · d_h · l           a key and a value per KV head (group)
 *   MQA   2 · d_h · l                 one key and one value shared by all heads
 *   MLA   (d_c + d_h^R) · l           the latent c_KV and the decoupled RoPE key, shared by all heads
 *                                     (DeepSeek-V2: d_c = 4 d_h, d_h^R = d_h / 2, so 4.5 · d_h · l)
 *
 * These are the functions that size the caches the attention code keeps (cache.ts: a row is
 * `kvCacheElementsPerTokenPerLayer` values) and that the parameter calculator reports
 * (src/params/cost.ts). Bytes: elements · bytes per value of the dtype (src/params/dtype.ts).
 */
import { checkInteger, checkObject, checkOneOf, MoEOracleError, describe } from '../tensor/errors.js';
import { bytesOf, DTYPES, type Dtype } from '../params/dtype.js';
import { resolveAttentionConfig, type AttentionConfig } from './config.js';

/** What determines the cache of one attention layer. */
export type KVCacheShape =
  | { kind: 'mha' | 'gqa' | 'mqa'; numKeyValueHeads: number; headDim: number }
  | { kind: 'mla'; kvLoraRank: number; qkRopeHeadDim: number };

/** The cache shape of an attention config. */
export function kvCacheShapeOf(config: AttentionConfig): KVCacheShape {
  const c = resolveAttentionConfig(config);
  if (c.kind === 'mla') return { kind: 'mla', kvLoraRank: c.kvLoraRank, qkRopeHeadDim: c.qkRopeHeadDim };
  return { kind: c.kind, numKeyValueHeads: c.numKeyValueHeads, headDim: c.headDim };
}

/** Values one token adds to one layer's cache: 2·n_kv·d (MHA, GQA, MQA) or d_c + d_R (MLA). */
export function kvCacheElementsPerTokenPerLayer(shape: KVCacheShape): number {
  if (typeof shape !== 'object' || shape === null) throw new MoEOracleError('shape', 'a KV-cache shape', describe(shape));
  const kind = checkOneOf('shape.kind', shape.kind, ['mha', 'gqa', 'mqa', 'mla'] as const);
  if (kind === 'mla') {
    const s = shape as Extract<KVCacheShape, { kind: 'mla' }>;
    return checkInteger('shape.kvLoraRank', s.kvLoraRank, 1) + checkInteger('shape.qkRopeHeadDim', s.qkRopeHeadDim, 0);
  }
  const s = shape as Exclude<KVCacheShape, { kind: 'mla' }>;
  const heads = checkInteger('shape.numKeyValueHeads', s.numKeyValueHeads, 1);
  if (kind === 'mqa' && heads !== 1) throw new MoEOracleError('shape.numKeyValueHeads', '1 for MQA', String(heads));
  return 2 * heads * checkInteger('shape.headDim', s.headDim, 1);
}

/** Cache size of `layers` identical layers holding `sequenceLength` tokens, in `dtype`. */
export interface KVCacheSize {
  elementsPerTokenPerLayer: number;
  elementsPerToken: number;
  elements: number;
  dtype: Dtype;
  bytesPerTokenPerLayer: number;
  bytesPerToken: number;
  bytes: number;
}

/** Elements and bytes per token per layer, per token (all layers) and for the whole sequence. */
export function kvCacheSize(shape: KVCacheShape, options: { layers: number; sequenceLength: number; dtype: Dtype }): KVCacheSize {
  checkObject('options', options, 'an object { layers, sequenceLength, dtype }');
  const layers = checkInteger('options.layers', options.layers, 0);
  const sequenceLength = checkInteger('options.sequenceLength', options.sequenceLength, 0);
  const dtype = checkOneOf('options.dtype', options.dtype, DTYPES);
  const perLayer = kvCacheElementsPerTokenPerLayer(shape);
  const elementsPerToken = perLayer * layers;
  const elements = elementsPerToken * sequenceLength;
  return {
    elementsPerTokenPerLayer: perLayer,
    elementsPerToken,
    elements,
    dtype,
    bytesPerTokenPerLayer: bytesOf(perLayer, dtype),
    bytesPerToken: bytesOf(elementsPerToken, dtype),
    bytes: bytesOf(elements, dtype),
  };
}
