/**
 * The baselines of MLA: multi-head (MHA, Vaswani et al. 2017), grouped-query (GQA, Ainslie et al. 2023;
 * Mixtral: 32 query heads, 8 key/value heads) and multi-query attention (MQA, Shazeer 2019), with RoPE
 * on the whole head. Source: Hugging Face transformers `MixtralAttention` / `LlamaAttention` and
 * `eager_attention_forward` with `repeat_kv` (query head h reads key/value head ⌊h / (n / n_kv)⌋).
 *
 *   q_h = RoPE(W_Q,h · x, p),  k_g = RoPE(W_K,g · x, p),  v_g = W_V,g · x          g = ⌊h / (n / n_kv)⌋
 *   o_h = softmax(q_h·k_gᵀ / √d, causal) · v_g,   y = W_O · [o_1 … o_n]
 *   cache row ← [k_1 … k_{n_kv} | v_1 … v_{n_kv}]   (2 · n_kv · d values per token)
 *
 * MHA is n_kv = n, MQA n_kv = 1. The same two stages as MLA (mla.ts): `projectStandard` and
 * `attendStandard`; sharing a key/value head among query heads is the `batchedMatmul` kernel's
 * broadcast, so no key or value is copied.
 *
 *   x [T, H] → output [T, H], attention weights [n, T, L]
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { checkFinite, contiguous, type Tensor } from '../tensor/tensor.js';
import { requireParam, type StateDict } from '../moe/params.js';
import type { ResolvedStandardAttentionConfig } from './config.js';
import { ropeRotation, softmaxScale } from './rope.js';

/** q, k, v, o weights (and biases), checked. */
export interface StandardAttentionWeights {
  q: Tensor; k: Tensor; v: Tensor; o: Tensor;
  qBias?: Tensor; kBias?: Tensor; vBias?: Tensor; oBias?: Tensor;
}

export function loadStandardWeights(params: StateDict, c: ResolvedStandardAttentionConfig): StandardAttentionWeights {
  const get = (name: string, shape: number[]) => {
    const value = contiguous(requireParam(params, name, shape, ' (Hugging Face MixtralAttention name; check numHeads, numKeyValueHeads, headDim)'));
    checkFinite(`params["${name}"]`, value);
    return value;
  };
  const kvWidth = c.numKeyValueHeads * c.headDim;
  const qWidth = c.numHeads * c.headDim;
  const weights: StandardAttentionWeights = {
    q: get('q_proj.weight', [qWidth, c.hiddenSize]),
    k: get('k_proj.weight', [kvWidth, c.hiddenSize]),
    v: get('v_proj.weight', [kvWidth, c.hiddenSize]),
    o: get('o_proj.weight', [c.hiddenSize, qWidth]),
  };
  if (c.attentionBias) {
    weights.qBias = get('q_proj.bias', [qWidth]);
    weights.kBias = get('k_proj.bias', [kvWidth]);
    weights.vBias = get('v_proj.bias', [kvWidth]);
    weights.oBias = get('o_proj.bias', [c.hiddenSize]);
  }
  return weights;
}

const maybe = (kernels: Kernels, t: Tensor | undefined) => (t === undefined ? undefined : kernels.upload(t));

/** Stage 1: rotated queries [n, T, d] and the new cache rows [T, 2·n_kv·d]. */
export function projectStandard(kernels: Kernels, c: ResolvedStandardAttentionConfig, w: StandardAttentionWeights, x: DeviceTensor, positions: Int32Array): { queries: DeviceTensor; newRows: DeviceTensor } {
  const d = c.headDim;
  const rope = c.rope;
  const rotate = (t: DeviceTensor) => (rope === null ? t : kernels.rope(t, ropeRotation(rope, d, positions)));
  const heads = { start: 0, width: d, stride: d };
  const queries = rotate(kernels.splitHeads(kernels.linear(x, kernels.upload(w.q), maybe(kernels, w.qBias)), c.numHeads, heads));
  const keys = kernels.mergeHeads(rotate(kernels.splitHeads(kernels.linear(x, kernels.upload(w.k), maybe(kernels, w.kBias)), c.numKeyValueHeads, heads)));
  const values = kernels.linear(x, kernels.upload(w.v), maybe(kernels, w.vBias));
  return { queries, newRows: kernels.concatLastAxis([keys, values]) };
}

/** Stage 2: attention over all L cached rows [L, 2·n_kv·d]; output [T, H], weights [n, T, L]. */
export function attendStandard(kernels: Kernels, c: ResolvedStandardAttentionConfig, w: StandardAttentionWeights, queries: DeviceTensor, rows: DeviceTensor): { output: DeviceTensor; weights: DeviceTensor } {
  const d = c.headDim;
  const kvWidth = c.numKeyValueHeads * d;
  const keys = kernels.splitHeads(rows, c.numKeyValueHeads, { start: 0, width: d, stride: d }); // [n_kv, L, d]
  const values = kernels.splitHeads(rows, c.numKeyValueHeads, { start: kvWidth, width: d, stride: d });
  const scores = kernels.batchedMatmul(queries, keys, { transposeB: true }); // [n, T, L], key head ⌊h / group⌋
  const weights = kernels.maskedSoftmax(scores, { scale: softmaxScale(c), causalOffset: rows.shape[0] - queries.shape[1] });
  const heads = kernels.batchedMatmul(weights, values);
  return { output: kernels.linear(kernels.mergeHeads(heads), kernels.upload(w.o), maybe(kernels, w.oBias)), weights };
}
