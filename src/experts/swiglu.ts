/**
 * SwiGLU expert (Shazeer 2020, "GLU Variants Improve Transformer"), the FFN of Mixtral, DeepSeek,
 * Qwen-MoE and OLMoE:
 *
 *   y = W2 · (silu(W1 · x) ⊙ (W3 · x))
 *
 *   x [n, H]   W1 [I, H]   W3 [I, H]   W2 [H, I]   →   y [n, H]
 *
 * Names: Mixtral's checkpoints call the matrices `w1`, `w3`, `w2`; DeepSeek / Qwen / OLMoE / Llama
 * call the same matrices `gate_proj`, `up_proj`, `down_proj` (w1 = gate_proj, w3 = up_proj,
 * w2 = down_proj). Numerics: both projections are `linear` (float64 dot products, float32 results);
 * silu(g)·u is evaluated in float64 from the float32 g and u and rounded once (the fused
 * "SiLU-and-mul" of vLLM and friends).
 */
import { siluScalar } from '../tensor/activations.js';
import { linearUnchecked } from '../tensor/linear.js';
import { checkFinite, checkShape, contiguous, tensor, type Tensor } from '../tensor/tensor.js';

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
  return { w1: params.gate_proj, w3: params.up_proj, w2: params.down_proj };
}

/** Checks the shapes and values of a SwiGLU expert's matrices; returns I. */
export function checkSwiGLUParams(params: SwiGLUParams, hidden: number): number {
  checkShape('w1.weight', params.w1, ['I', hidden]);
  const intermediate = params.w1.shape[0];
  checkShape('w3.weight', params.w3, [intermediate, hidden]);
  checkShape('w2.weight', params.w2, [hidden, intermediate]);
  checkFinite('w1.weight', params.w1);
  checkFinite('w3.weight', params.w3);
  checkFinite('w2.weight', params.w2);
  return intermediate;
}

/** silu(gate) ⊙ up, element-wise, rounded once. */
export function siluAndMul(gate: Tensor, up: Tensor): Tensor {
  const out = new Float32Array(gate.size);
  for (let i = 0; i < out.length; i++) out[i] = siluScalar(gate.data[i]) * up.data[i];
  return tensor(out, gate.shape);
}

/** SwiGLU forward without checks: x [n, H] contiguous and finite, params already checked. */
export function swiGLUUnchecked(x: Tensor, params: SwiGLUParams): Tensor {
  const gate = linearUnchecked(x, contiguous(params.w1));
  const up = linearUnchecked(x, contiguous(params.w3));
  return linearUnchecked(siluAndMul(gate, up), contiguous(params.w2));
}

/** SwiGLU expert forward. x [n, H] → [n, H]. */
export function swiGLU(x: Tensor, params: SwiGLUParams): Tensor {
  checkShape('x', x, ['n', 'H']);
  checkSwiGLUParams(params, x.shape[1]);
  checkFinite('x', x);
  return swiGLUUnchecked(contiguous(x), params);
}
