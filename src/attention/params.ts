/**
 * Parameters of an attention layer: Hugging Face names (module prefix `self_attn.` stripped), shapes,
 * and a deterministic initialisation.
 *
 *   MLA (Hugging Face `DeepseekV3Attention` / `DeepseekV2Attention`; n heads, H hidden):
 *     q_a_proj.weight            [d_c', H]                 (+ .bias with attentionBias)   ┐ with qLoraRank
 *     q_a_layernorm.weight       [d_c']                                                   │
 *     q_b_proj.weight            [n·(d_nope + d_rope), d_c']                               ┘
 *     q_proj.weight              [n·(d_nope + d_rope), H]                                  qLoraRank null (V2-Lite)
 *     kv_a_proj_with_mqa.weight  [d_c + d_rope, H]         (+ .bias with attentionBias)
 *     kv_a_layernorm.weight      [d_c]
 *     kv_b_proj.weight           [n·(d_nope + d_v), d_c]
 *     o_proj.weight              [H, n·d_v]                (+ .bias with attentionBias)
 *
 *   MHA / GQA / MQA (Hugging Face `MixtralAttention`, `LlamaAttention`; n_kv key/value heads, d head_dim):
 *     q_proj.weight [n·d, H], k_proj.weight [n_kv·d, H], v_proj.weight [n_kv·d, H], o_proj.weight [H, n·d]
 *     (+ q_proj.bias, k_proj.bias, v_proj.bias, o_proj.bias with attentionBias)
 *
 * `initAttentionParams` draws every projection uniform in ±1/√fan_in from the Philox stream named after
 * the parameter (as `initMoEParams` does), and the RMSNorm weights uniform in [0.5, 1.5] (Hugging Face
 * initialises them to 1; random weights let a test see a norm weight that is applied wrongly).
 */
import { randomUniform } from '../tensor/prng.js';
import type { ParameterShape, StateDict } from '../moe/params.js';
import { resolveAttentionConfig, type AttentionConfig, type ResolvedAttentionConfig } from './config.js';

/** Every parameter of the layer, in a fixed order. */
export function attentionParameterShapes(config: AttentionConfig | ResolvedAttentionConfig): ParameterShape[] {
  const c = resolveAttentionConfig(config as AttentionConfig);
  const H = c.hiddenSize;
  const shapes: ParameterShape[] = [];
  const projection = (name: string, out: number, inFeatures: number, bias: boolean) => {
    shapes.push({ name: `${name}.weight`, shape: [out, inFeatures] });
    if (bias) shapes.push({ name: `${name}.bias`, shape: [out] });
  };
  if (c.kind === 'mla') {
    const n = c.numHeads;
    const qkHeadDim = c.qkNopeHeadDim + c.qkRopeHeadDim;
    if (c.qLoraRank === null) projection('q_proj', n * qkHeadDim, H, false);
    else {
      projection('q_a_proj', c.qLoraRank, H, c.attentionBias);
      shapes.push({ name: 'q_a_layernorm.weight', shape: [c.qLoraRank] });
      projection('q_b_proj', n * qkHeadDim, c.qLoraRank, false);
    }
    projection('kv_a_proj_with_mqa', c.kvLoraRank + c.qkRopeHeadDim, H, c.attentionBias);
    shapes.push({ name: 'kv_a_layernorm.weight', shape: [c.kvLoraRank] });
    projection('kv_b_proj', n * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank, false);
    projection('o_proj', H, n * c.vHeadDim, c.attentionBias);
    return shapes;
  }
  projection('q_proj', c.numHeads * c.headDim, H, c.attentionBias);
  projection('k_proj', c.numKeyValueHeads * c.headDim, H, c.attentionBias);
  projection('v_proj', c.numKeyValueHeads * c.headDim, H, c.attentionBias);
  projection('o_proj', H, c.numHeads * c.headDim, c.attentionBias);
  return shapes;
}

/** A deterministic state dict for `config`, keyed by (seed, parameter name). */
export function initAttentionParams(config: AttentionConfig, seed: number): StateDict {
  const params: StateDict = {};
  const shapes = attentionParameterShapes(config);
  for (const { name, shape } of shapes) {
    if (name.endsWith('layernorm.weight')) {
      params[name] = randomUniform(shape, { seed, name, low: 0.5, high: 1.5 });
      continue;
    }
    const weightName = name.replace(/\.bias$/, '.weight');
    const fanIn = shapes.find((s) => s.name === weightName)!.shape[1];
    const bound = 1 / Math.sqrt(fanIn);
    params[name] = randomUniform(shape, { seed, name, low: -bound, high: bound });
  }
  return params;
}
