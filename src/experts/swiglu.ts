/**
 * SwiGLU expert (Shazeer 2020, "GLU Variants Improve Transformer"), the FFN of Mixtral, DeepSeek,
 * Qwen-MoE and OLMoE:
 *
 *   y = W2 · (silu(W1 · x) ⊙ (W3 · x))
 *
 *   x [n, H]   W1 [I, H]   W3 [I, H]   W2 [H, I]   →   y [n, H]
 *
 * Kernels: linear, siluAndMul (src/backends).
 * Names: Mixtral's checkpoints call the matrices `w1`, `w3`, `w2`; DeepSeek / Qwen / OLMoE / Llama
 * call the same matrices `gate_proj`, `up_proj`, `down_proj` (w1 = gate_proj, w3 = up_proj,
 * w2 = down_proj). Numerics: both projections are `linear` (float64 dot products, float32 results);
 * silu(g)·u is evaluated in float64 from the float32 g and u and rounded once (the fused
 * "SiLU-and-mul" of vLLM and friends).
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { synchronousBackendOf, type BackendOption } from '../backends/registry.js';
import { checkObject } from '../tensor/errors.js';
import { checkFinite, checkProducedFinite, checkShape, checkTensor, type Tensor } from '../tensor/tensor.js';

/** The three matrices of a SwiGLU expert, Mixtral names. */
export interface SwiGLUParams {
  /** [I, H] gate projection (gate_proj). */
  w1: Tensor;
  /** [H, I] down projection (down_proj). */
  w2: Tensor;
  /** [I, H] up projection (up_proj). */
  w3: Tensor;
}

/** The same matrices under Llama / DeepSeek / Qwen names. */
export interface GateUpDownParams {
  gate_proj: Tensor;
  up_proj: Tensor;
  down_proj: Tensor;
}

/** gate_proj/up_proj/down_proj → w1/w3/w2. */
export function fromGateUpDown(params: GateUpDownParams): SwiGLUParams {
  checkObject('params', params, 'an object { gate_proj, up_proj, down_proj } of tensors');
  for (const name of ['gate_proj', 'up_proj', 'down_proj'] as const) checkTensor(`params.${name}`, params[name]);
  return { w1: params.gate_proj, w3: params.up_proj, w2: params.down_proj };
}

/** Checks the shapes and values of a SwiGLU expert's matrices; returns I. */
export function checkSwiGLUParams(params: SwiGLUParams, hidden: number): number {
  checkObject('params', params, 'an object { w1, w2, w3 } of tensors');
  checkShape('w1.weight', params.w1, ['I', hidden]);
  const intermediate = params.w1.shape[0];
  checkShape('w3.weight', params.w3, [intermediate, hidden]);
  checkShape('w2.weight', params.w2, [hidden, intermediate]);
  checkFinite('w1.weight', params.w1);
  checkFinite('w3.weight', params.w3);
  checkFinite('w2.weight', params.w2);
  return intermediate;
}

/** The expert on the backend: x [n, H] and the matrices already on the device → [n, H]. */
export function swiGLUOnDevice(kernels: Kernels, x: DeviceTensor, weights: { w1: DeviceTensor; w2: DeviceTensor; w3: DeviceTensor }): DeviceTensor {
  const gate = kernels.linear(x, weights.w1);
  const up = kernels.linear(x, weights.w3);
  return kernels.linear(kernels.siluAndMul(gate, up), weights.w2);
}

/** SwiGLU expert forward. x [n, H] → [n, H]. */
export function swiGLU(x: Tensor, params: SwiGLUParams, options: BackendOption = {}): Tensor {
  checkShape('x', x, ['n', 'H']);
  checkSwiGLUParams(params, x.shape[1]);
  checkFinite('x', x);
  const kernels = synchronousBackendOf(options, 'moeForwardAsync');
  const y = kernels.readSync(swiGLUOnDevice(kernels, kernels.upload(x), { w1: kernels.upload(params.w1), w2: kernels.upload(params.w2), w3: kernels.upload(params.w3) }));
  checkProducedFinite('expert', 'y', y);
  return y;
}
