/**
 * Element-wise activations as float64 scalar functions; the `activation` kernel (src/backends) applies
 * them to float32 tensors and rounds each result to float32 once.
 *
 *   sigmoid(x)   = 1 / (1 + e^(−x))            (for x < 0 as e^x / (1 + e^x), which never overflows)
 *   silu(x)      = x · sigmoid(x)              (a.k.a. swish; the SwiGLU gate of Mixtral / DeepSeek / Qwen)
 *   relu(x)      = max(x, 0)                   (Switch Transformers, T5)
 *   gelu(x)      = x/2 · (1 + erf(x/√2))       (PyTorch `approximate='none'`; computed as x/2 · erfc(−x/√2))
 *   geluTanh(x)  = x/2 · (1 + tanh(√(2/π) · (x + 0.044715·x³)))   (PyTorch `approximate='tanh'`, GPT-2)
 *
 * Transcendentals: Math.exp, Math.tanh (V8: fdlibm ports, faithful to float64), erf/erfc from ./erf.ts.
 */
import { erfc } from './erf.js';
import { checkOneOf } from './errors.js';

/** Scalar sigmoid in float64. */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Scalar SiLU in float64. */
export function siluScalar(x: number): number {
  return x * sigmoidScalar(x);
}

/** Scalar ReLU. */
export function reluScalar(x: number): number {
  return x > 0 ? x : 0;
}

/** Scalar exact (erf) GELU in float64. */
export function geluScalar(x: number): number {
  return 0.5 * x * erfc(-x * Math.SQRT1_2);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Scalar tanh-approximation GELU in float64. */
export function geluTanhScalar(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** The element-wise activations (the `activation` kernel of src/backends). */
export type Activation = 'sigmoid' | 'silu' | 'relu' | 'gelu' | 'gelu-tanh';

export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'silu', 'relu', 'gelu', 'gelu-tanh'];

/** The scalar function of an activation name. */
export function activationScalar(name: Activation): (x: number) => number {
  checkOneOf('name', name, ACTIVATIONS);
  switch (name) {
    case 'sigmoid':
      return sigmoidScalar;
    case 'silu':
      return siluScalar;
    case 'relu':
      return reluScalar;
    case 'gelu':
      return geluScalar;
    case 'gelu-tanh':
      return geluTanhScalar;
  }
}
