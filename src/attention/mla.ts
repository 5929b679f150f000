/**
 * Multi-head latent attention (MLA), the attention of DeepSeek-V2 and DeepSeek-V3, in its two forms.
 *
 * Sources: DeepSeek-V2 paper (arXiv:2405.04434) section 2.1 (equations 9–19) and appendix C;
 * DeepSeek-V3 inference/model.py `MLA.forward` (`attn_impl = "naive"` and `"absorb"`); Hugging Face
 * transformers `DeepseekV3Attention` and `DeepseekV2Attention` (parameter names, q_lora_rank null).
 * Per token x (H), n heads, d_c = kv_lora_rank, d_h = qk_nope_head_dim, d_R = qk_rope_head_dim, d_v = v_head_dim:
 *
 *   q        = W_UQ · RMSNorm(W_DQ · x)  (or q_proj · x)       q_b_proj ∘ q_a_layernorm ∘ q_a_proj   [n, d_h + d_R]
 *   q_nope, q_rope = split(q);  q_rope ← RoPE(q_rope, p)
 *   [c, k_R] = W_DKV · x                                         kv_a_proj_with_mqa              [d_c + d_R]
 *   c_KV     = RMSNorm(c),  k_rope = RoPE(k_R, p)                one rope key shared by all heads
 *   cache row ← [c_KV | k_rope]                                  (cache.ts)
 *
 * naive (DeepSeek "naive", Hugging Face): expand every cached latent into keys and values per head
 *   [k_nope | v] = W_UKV · c_KV  (kv_b_proj, [n, d_h + d_v])     k = [k_nope | k_rope],  q = [q_nope | q_rope]
 *   o_h = softmax(scale · q_h·k_hᵀ, causal) · v_h
 *
 * absorbed (DeepSeek "absorb", FlashMLA's decode): fold W_UK into the query and W_UV into the output
 *   q̃_h = q_nope,h · W_UK,h   ([d_c]),   scores = scale · [q̃_h | q_rope,h]·[c_KV | k_rope]ᵀ
 *   o_h = (softmax(scores, causal) · c_KV) · W_UV,hᵀ
 *   where W_UK,h [d_h, d_c] and W_UV,h [d_v, d_c] are head h's rows of kv_b_proj.weight viewed as
 *   [n, d_h + d_v, d_c] (DeepSeek `wkv_b.view(n_local_heads, -1, kv_lora_rank)`).
 *
 * Both:  y = W_O · [o_1 … o_n]  (o_proj),  scale = 1/√(d_h + d_R) (· mscale² with YaRN, rope.ts).
 * The two forms are the same function of the inputs in exact arithmetic (q_nope·(W_UK c) =
 * (q_nope W_UK)·c and Σ_t p_t (W_UV c_t) = W_UV Σ_t p_t c_t); in float32 they round at different places.
 *
 * Stages (kernels.ts says why), each a list of kernel calls: `projectMLA` (queries and the new cache
 * rows) and `attendMLA` (attention over all cached rows, output projection). Weight slicing of
 * kv_b_proj into W_UK and W_UV is a parameter layout step on the host, done once per call.
 *
 *   x [T, H] → output [T, H], attention weights [n, T, L] (L = cached + T keys)
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { checkFinite, contiguous, tensor, type Tensor } from '../tensor/tensor.js';
import { requireParam, type StateDict } from '../moe/params.js';
import type { ResolvedMLAConfig } from './config.js';
import { ropeRotation, softmaxScale } from './rope.js';

/** The two MLA forms. */
export type MLAForm = 'naive' | 'absorbed';
export const MLA_FORMS: readonly MLAForm[] = ['naive', 'absorbed'];

/** MLA weights, shape- and value-checked. */
export interface MLAWeights {
  qProj?: Tensor;
  qAProj?: Tensor;
  qABias?: Tensor;
  qALayernorm?: Tensor;
  qBProj?: Tensor;
  kvAProj: Tensor;
  kvABias?: Tensor;
  kvALayernorm: Tensor;
  kvBProj: Tensor;
  oProj: Tensor;
  oBias?: Tensor;
  /** W_UK [n, d_h, d_c] and W_UV [n, d_v, d_c]: kv_b_proj's rows per head (absorbed form). */
  absorbed?: { wUK: Tensor; wUV: Tensor };
}

/** Looks the weights up by their Hugging Face names, checks shapes and values. */
export function loadMLAWeights(params: StateDict, c: ResolvedMLAConfig, form: MLAForm): MLAWeights {
  const n = c.numHeads;
  const qkHeadDim = c.qkNopeHeadDim + c.qkRopeHeadDim;
  const get = (name: string, shape: number[]) => {
    const value = contiguous(requireParam(params, name, shape, ' (Hugging Face DeepseekV3Attention name; check the head dims in the config)'));
    checkFinite(`params["${name}"]`, value);
    return value;
  };
  const bias = (name: string, size: number) => (c.attentionBias ? get(name, [size]) : undefined);
  const weights: MLAWeights = {
    kvAProj: get('kv_a_proj_with_mqa.weight', [c.kvLoraRank + c.qkRopeHeadDim, c.hiddenSize]),
    kvABias: bias('kv_a_proj_with_mqa.bias', c.kvLoraRank + c.qkRopeHeadDim),
    kvALayernorm: get('kv_a_layernorm.weight', [c.kvLoraRank]),
    kvBProj: get('kv_b_proj.weight', [n * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank]),
    oProj: get('o_proj.weight', [c.hiddenSize, n * c.vHeadDim]),
    oBias: bias('o_proj.bias', c.hiddenSize),
  };
  if (c.qLoraRank === null) weights.qProj = get('q_proj.weight', [n * qkHeadDim, c.hiddenSize]);
  else {
    weights.qAProj = get('q_a_proj.weight', [c.qLoraRank, c.hiddenSize]);
    weights.qABias = bias('q_a_proj.bias', c.qLoraRank);
    weights.qALayernorm = get('q_a_layernorm.weight', [c.qLoraRank]);
    weights.qBProj = get('q_b_proj.weight', [n * qkHeadDim, c.qLoraRank]);
  }
  if (form === 'absorbed') {
    weights.absorbed = {
      wUK: headRowBlocks(weights.kvBProj, n, 0, c.qkNopeHeadDim),
      wUV: headRowBlocks(weights.kvBProj, n, c.qkNopeHeadDim, c.vHeadDim),
    };
  }
  return weights;
}

/** Rows [start, start + count) of each head's block of a [n·rowsPerHead, C] matrix → [n, count, C]. */
function headRowBlocks(weight: Tensor, heads: number, start: number, count: number): Tensor {
  const columns = weight.shape[1];
  const rowsPerHead = weight.shape[0] / heads;
  const out = new Float32Array(heads * count * columns);
  for (let h = 0; h < heads; h++) {
    const from = (h * rowsPerHead + start) * columns;
    out.set(weight.data.subarray(from, from + count * columns), h * count * columns);
  }
  return tensor(out, [heads, count, columns]);
}

/** Columns [start, start + width) of x [T, C] → [T, width] (a column block through the head kernels). */
function columnBlock(kernels: Kernels, x: DeviceTensor, start: number, width: number): DeviceTensor {
  return kernels.mergeHeads(kernels.splitHeads(x, 1, { start, width, stride: 0 }));
}

/** What `projectMLA` leaves for `attendMLA`. */
export interface MLAQueries {
  /** [n, T, d_h] */
  nope: DeviceTensor;
  /** [n, T, d_R], rotated */
  rope: DeviceTensor;
}

/** The weights on the device. */
function upload(kernels: Kernels, t: Tensor | undefined): DeviceTensor | undefined {
  return t === undefined ? undefined : kernels.upload(t);
}

/** Stage 1: queries of the new tokens and their cache rows [T, d_c + d_R]. */
export function projectMLA(kernels: Kernels, c: ResolvedMLAConfig, w: MLAWeights, x: DeviceTensor, positions: Int32Array): { queries: MLAQueries; newRows: DeviceTensor } {
  const { numHeads: n, qkNopeHeadDim: dNope, qkRopeHeadDim: dRope, kvLoraRank: dc } = c;
  const rotation = ropeRotation(c.rope, dRope, positions);
  const q =
    w.qProj !== undefined
      ? kernels.linear(x, kernels.upload(w.qProj))
      : kernels.linear(kernels.rmsNorm(kernels.linear(x, kernels.upload(w.qAProj!), upload(kernels, w.qABias)), kernels.upload(w.qALayernorm!), c.rmsNormEps), kernels.upload(w.qBProj!));
  const nope = kernels.splitHeads(q, n, { start: 0, width: dNope, stride: dNope + dRope });
  const rope = kernels.rope(kernels.splitHeads(q, n, { start: dNope, width: dRope, stride: dNope + dRope }), rotation);
  const compressed = kernels.linear(x, kernels.upload(w.kvAProj), upload(kernels, w.kvABias)); // [T, d_c + d_R]
  const latent = kernels.rmsNorm(columnBlock(kernels, compressed, 0, dc), kernels.upload(w.kvALayernorm), c.rmsNormEps);
  const keyRope = kernels.mergeHeads(kernels.rope(kernels.splitHeads(compressed, 1, { start: dc, width: dRope, stride: 0 }), rotation));
  return { queries: { nope, rope }, newRows: kernels.concatLastAxis([latent, keyRope]) };
}

/** Stage 2: attention of the T new queries over all L cached rows [L, d_c + d_R]; output [T, H], weights [n, T, L]. */
export function attendMLA(kernels: Kernels, c: ResolvedMLAConfig, w: MLAWeights, form: MLAForm, queries: MLAQueries, rows: DeviceTensor): { output: DeviceTensor; weights: DeviceTensor } {
  const { numHeads: n, qkNopeHeadDim: dNope, qkRopeHeadDim: dRope, kvLoraRank: dc, vHeadDim: dv } = c;
  const tokens = queries.nope.shape[1];
  const keysLength = rows.shape[0];
  const softmax = { scale: softmaxScale(c), causalOffset: keysLength - tokens };
  let heads: DeviceTensor; // [n, T, d_v]
  let weights: DeviceTensor;
  if (form === 'naive') {
    const expanded = kernels.linear(columnBlock(kernels, rows, 0, dc), kernels.upload(w.kvBProj)); // [L, n·(d_h + d_v)]
    const keyNope = kernels.splitHeads(expanded, n, { start: 0, width: dNope, stride: dNope + dv });
    const values = kernels.splitHeads(expanded, n, { start: dNope, width: dv, stride: dNope + dv });
    const keys = kernels.concatLastAxis([keyNope, kernels.splitHeads(rows, 1, { start: dc, width: dRope, stride: 0 })]); // [n, L, d_h + d_R]
    const scores = kernels.batchedMatmul(kernels.concatLastAxis([queries.nope, queries.rope]), keys, { transposeB: true });
    weights = kernels.maskedSoftmax(scores, softmax);
    heads = kernels.batchedMatmul(weights, values);
  } else {
    const absorbed = w.absorbed!;
    const queryLatent = kernels.batchedMatmul(queries.nope, kernels.upload(absorbed.wUK)); // [n, T, d_c]
    const cachedRows = kernels.splitHeads(rows, 1, { start: 0, width: dc + dRope, stride: 0 }); // [1, L, d_c + d_R]
    const scores = kernels.batchedMatmul(kernels.concatLastAxis([queryLatent, queries.rope]), cachedRows, { transposeB: true });
    weights = kernels.maskedSoftmax(scores, softmax);
    const latentOut = kernels.batchedMatmul(weights, kernels.splitHeads(rows, 1, { start: 0, width: dc, stride: 0 })); // [n, T, d_c]
    heads = kernels.batchedMatmul(latentOut, kernels.upload(absorbed.wUV), { transposeB: true });
  }
  const output = kernels.linear(kernels.mergeHeads(heads), kernels.upload(w.oProj), upload(kernels, w.oBias));
  return { output, weights };
}
