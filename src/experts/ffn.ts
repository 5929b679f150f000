/**
 * Classic two-matrix FFN expert of Switch Transformers and GShard (and the original Transformer):
 *
 *   y = Wo · act(Wi · x)          act ∈ {relu (Switch / T5), gelu, gelu-tanh (GShard-style GPT FFNs)}
 *
 *   x [n, H]   Wi [I, H]   Wo [H, I]   →   y [n, H]
 *
 * Names follow Hugging Face's Switch Transformers checkpoints: `wi`, `wo` (no biases). The activation
 * is applied in float64 to the float32 pre-activation and rounded once.
 */
import { activationScalar } from '../tensor/activations.js';
import { linearUnchecked } from '../tensor/linear.js';
import { checkFinite, checkShape, contiguous, tensor, type Tensor } from '../tensor/tensor.js';

/** Activations of the classic FFN. */
export type FFNActivation = 'relu' | 'gelu' | 'gelu-tanh';

/** The two matrices of a classic FFN expert. */
export interface FFNParams {
  /** [I, H] input projection. */
  wi: Tensor;
  /** [H, I] output projection. */
  wo: Tensor;
}

/** Checks an FFN expert's matrices; returns I. */
export function checkFFNParams(params: FFNParams, hidden: number): number {
  checkShape('wi.weight', params.wi, ['I', hidden]);
  const intermediate = params.wi.shape[0];
  checkShape('wo.weight', params.wo, [hidden, intermediate]);
  checkFinite('wi.weight', params.wi);
  checkFinite('wo.weight', params.wo);
  return intermediate;
}

/** FFN forward without checks. */
export function ffnUnchecked(x: Tensor, params: FFNParams, activation: FFNActivation): Tensor {
  const act = activationScalar(activation);
  const hiddenPre = linearUnchecked(x, contiguous(params.wi));
  const activated = new Float32Array(hiddenPre.size);
  for (let i = 0; i < activated.length; i++) activated[i] = act(hiddenPre.data[i]);
  return linearUnchecked(tensor(activated, hiddenPre.shape), contiguous(params.wo));
}

/** Classic FFN expert forward. x [n, H] → [n, H]. */
export function ffn(x: Tensor, params: FFNParams, activation: FFNActivation = 'relu'): Tensor {
  checkShape('x', x, ['n', 'H']);
  checkFFNParams(params, x.shape[1]);
  checkFinite('x', x);
  return ffnUnchecked(contiguous(x), params, activation);
}
