/**
 * cpu kernels `activation` and `siluAndMul`: element-wise, each value computed in float64 from the
 * float32 input(s) and rounded to float32 once. The scalar formulas (and which transcendental
 * functions they use) are in src/tensor/activations.ts.
 *
 *   activation(x, name)   any shape → same shape
 *   siluAndMul(g, u)      [n, I], [n, I] → [n, I]: silu(g)·u, the fused "SiLU-and-mul" of vLLM and friends
 */
import { activationScalar, siluScalar } from '../../tensor/activations.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import type { Activation } from '../kernels.js';

/** The shared loop: a float64 scalar function on every element, rounded once. */
export function mapElementsCpu(x: Tensor, fn: (value: number) => number): Tensor {
  const source = x.data;
  const out = new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = fn(source[i]);
  return tensor(out, x.shape);
}

export function activationCpu(x: Tensor, activation: Activation): Tensor {
  return mapElementsCpu(x, activationScalar(activation));
}

export function siluAndMulCpu(gate: Tensor, up: Tensor): Tensor {
  const out = new Float32Array(gate.size);
  for (let i = 0; i < out.length; i++) out[i] = siluScalar(gate.data[i]) * up.data[i];
  return tensor(out, gate.shape);
}
