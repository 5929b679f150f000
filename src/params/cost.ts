/**
 * Compute and memory of a model, from its description and its parameter counts.
 *
 * Forward FLOPs per token (Kaplan et al. 2020, arXiv:2001.08361, section 2.1; one multiply-add = 2 FLOPs):
 *
 *   matmul    = 2 · (active matmul parameters)   — every weight a token multiplies by, the LM head
 *                                                   included, the input embedding (a row lookup) not
 *   attention = Σ_layers 2 · heads · (qkHeadDim + vHeadDim) · context
 *                                                 — scores q·kᵀ and the weighted sum of values for a
 *                                                   token attending to `context` earlier tokens
 *                                                   (MLA: qkHeadDim = nope + rope, not weight-absorbed)
 *
 * MTP modules are not part of the forward pass of the main model and are left out.
 *
 * Weight memory = total parameters · bytes per parameter (fp32 4, bf16 2, fp8 1, int4 ½), ignoring
 * the scales that quantised formats also store.
 *
 * KV-cache bytes per token (decoder self-attention only), from src/attention/kv-cache-size.ts, the
 * functions that also size the caches the attention code keeps:
 *
 *   MHA / GQA: 2 · layers · kvHeads · headDim · bytes           (a key and a value per KV head)
 *   MLA:       layers · (kvLoraRank + qkRopeHeadDim) · bytes    (the latent and the shared RoPE key;
 *                                                                DeepSeek-V2 paper, section 2.1.2)
 */
import { checkFiniteNumber, checkInteger, checkObject } from '../tensor/errors.js';
import { kvCacheElementsPerTokenPerLayer } from '../attention/kv-cache-size.js';
import { checkModelDescription, type AttentionSpec, type ModelDescription } from '../hf/model-description.js';
import type { ParameterCounts } from './count.js';
import { bytesPerDtype, type Dtype } from './dtype.js';

export { DTYPE_BYTES, DTYPES, bytesPerDtype, type Dtype } from './dtype.js';

/** Forward FLOPs per token. */
export interface FlopsPerToken {
  contextLength: number;
  matmul: number;
  attention: number;
  total: number;
}

/** Score and value FLOPs of one attention block for one token over `contextLength` keys. */
function attentionScoreFlops(attention: AttentionSpec, contextLength: number): number {
  const qkHeadDim = attention.kind === 'mla' ? attention.qkNopeHeadDim + attention.qkRopeHeadDim : attention.headDim;
  const vHeadDim = attention.kind === 'mla' ? attention.vHeadDim : attention.headDim;
  return 2 * attention.numHeads * (qkHeadDim + vHeadDim) * contextLength;
}

/** Forward FLOPs per token of the main model at the given context length. */
export function forwardFlopsPerToken(model: ModelDescription, counts: ParameterCounts, contextLength: number): FlopsPerToken {
  checkInteger('contextLength', contextLength, 0);
  const matmul = 2 * counts.activeMatmulParams;
  let attention = 0;
  for (const group of model.layerGroups) {
    const attentionBlocks = group.crossAttention ? [group.selfAttention, group.crossAttention] : [group.selfAttention];
    for (const block of attentionBlocks) attention += group.count * attentionScoreFlops(block, contextLength);
  }
  return { contextLength, matmul, attention, total: matmul + attention };
}

/** Values one token adds to the KV cache of one attention block (src/attention/kv-cache-size.ts). */
function kvCacheElementsPerLayer(attention: AttentionSpec): number {
  if (attention.kind === 'mla') return kvCacheElementsPerTokenPerLayer({ kind: 'mla', kvLoraRank: attention.kvLoraRank, qkRopeHeadDim: attention.qkRopeHeadDim });
  return kvCacheElementsPerTokenPerLayer({ kind: attention.kind, numKeyValueHeads: attention.numKeyValueHeads, headDim: attention.headDim });
}

/** Values one token adds to the KV cache of the whole model (decoder self-attention layers). */
export function kvCacheElementsPerToken(model: ModelDescription): number {
  let elements = 0;
  for (const group of model.layerGroups) {
    if (group.stack === 'decoder') elements += group.count * kvCacheElementsPerLayer(group.selfAttention);
  }
  return elements;
}

/** Everything the `params` command reports besides the counts. */
export interface ModelCosts {
  flopsPerToken: FlopsPerToken;
  weightBytes: Record<Dtype, number>;
  kvCache: { elementsPerToken: number; bytesPerToken: Record<Dtype, number> };
}

/** FLOPs, weight memory and KV cache of `model` with the given counts. */
export function modelCosts(model: ModelDescription, counts: ParameterCounts, contextLength: number): ModelCosts {
  checkModelDescription('model', model);
  checkObject('counts', counts, 'the parameter counts of the model (countParameters)');
  checkFiniteNumber('counts.total', counts.total, 0);
  checkFiniteNumber('counts.activeMatmulParams', counts.activeMatmulParams, 0);
  const kvElements = kvCacheElementsPerToken(model);
  return {
    flopsPerToken: forwardFlopsPerToken(model, counts, contextLength),
    weightBytes: bytesPerDtype(counts.total),
    kvCache: { elementsPerToken: kvElements, bytesPerToken: bytesPerDtype(kvElements) },
  };
}
