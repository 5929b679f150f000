/**
 * gpu.js kernels `activation` and `siluAndMul`, beside the cpu loops they mirror
 * (src/backends/cpu/elementwise.ts, formulas in src/tensor/activations.ts):
 *
 *   sigmoid(x)   = 1 / (1 + e^−x) for x ≥ 0, e^x / (1 + e^x) below (never overflows)
 *   silu(x)      = x · sigmoid(x)
 *   relu(x)      = max(x, 0)
 *   gelu(x)      = x/2 · erfc(−x/√2)
 *   geluTanh(x)  = x/2 · (1 + tanh(√(2/π) · (x + 0.044715·x³)))
 *   siluAndMul   = silu(gate) · up                          any shape → same shape
 *   clampedSwiGLU: g = min(gate, limit), u = clamp(up, ±limit), (u + 1) · g · σ(α·g)   (gpt-oss;
 *                  cpu loop src/backends/cpu/clamped-swiglu.ts)
 *
 * The cpu reference evaluates each in float64 (Math.exp, Math.tanh, a 1e-15 erfc) and rounds once;
 * here everything is float32 on the GPU's own exp. Shaders have no erf and GLSL ES 1.00 no tanh, so:
 *   - erfc(z) is Numerical Recipes' `erfcc` (Press et al., 2nd ed., §6.2, Chebyshev fit):
 *         t = 1 / (1 + |z|/2),  erfc(|z|) = t · exp(−z² − 1.26551223 + t·(1.00002368 + t·(…)))
 *     with fractional error below 1.2e-7 everywhere, tails included; erfc(−|z|) = 2 − erfc(|z|);
 *   - tanh(u) = sign(u) · (1 − e^(−2|u|)) / (1 + e^(−2|u|)), which never divides ∞ by ∞.
 */
import type { ArgumentTypes, KernelThis } from './runtime.js';

export function sigmoidKernel(this: KernelThis, x: Float32Array): number {
  const v = x[this.thread.x];
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function siluKernel(this: KernelThis, x: Float32Array): number {
  const v = x[this.thread.x];
  if (v >= 0) return v / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return (v * e) / (1 + e);
}

export function reluKernel(this: KernelThis, x: Float32Array): number {
  const v = x[this.thread.x];
  if (v > 0) return v;
  return 0;
}

export function geluKernel(this: KernelThis, x: Float32Array): number {
  const v = x[this.thread.x];
  const z = -v * 0.7071067811865476; // erfc argument −x/√2
  const a = Math.abs(z);
  const t = 1 / (1 + 0.5 * a);
  const poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let erfc = t * Math.exp(poly);
  if (z < 0) erfc = 2 - erfc;
  return 0.5 * v * erfc;
}

export function geluTanhKernel(this: KernelThis, x: Float32Array): number {
  const v = x[this.thread.x];
  const u = 0.7978845608028654 * (v + 0.044715 * v * v * v); // √(2/π) · (x + 0.044715·x³)
  const e = Math.exp(-2 * Math.abs(u));
  let tanh = (1 - e) / (1 + e);
  if (u < 0) tanh = -tanh;
  return 0.5 * v * (1 + tanh);
}

export const ELEMENTWISE_TYPES: ArgumentTypes = { x: 'Array' };

export function siluAndMulKernel(this: KernelThis, gate: Float32Array, up: Float32Array): number {
  const g = gate[this.thread.x];
  let silu = 0;
  if (g >= 0) {
    silu = g / (1 + Math.exp(-g));
  } else {
    const e = Math.exp(g);
    silu = (g * e) / (1 + e);
  }
  return silu * up[this.thread.x];
}
export const SILU_AND_MUL_TYPES: ArgumentTypes = { gate: 'Array', up: 'Array' };

export function clampedSwiGLUKernel(this: KernelThis, gate: Float32Array, up: Float32Array, alpha: number, limit: number): number {
  const g = Math.min(gate[this.thread.x], limit);
  const u = Math.min(Math.max(up[this.thread.x], -limit), limit);
  const s = alpha * g;
  let sigma = 0;
  if (s >= 0) {
    sigma = 1 / (1 + Math.exp(-s));
  } else {
    const e = Math.exp(s);
    sigma = e / (1 + e);
  }
  return (u + 1) * g * sigma;
}
export const CLAMPED_SWIGLU_TYPES: ArgumentTypes = { gate: 'Array', up: 'Array', alpha: 'Float', limit: 'Float' };
