/**
 * Classic two-matrix FFN expert of Switch Transformers and GShard (and the original Transformer):
 *
 *   y = Wo · act(Wi · x)          act ∈ {relu (Switch / T5), gelu, gelu-tanh (GShard-style GPT FFNs)}
 *
 *   x [n, H]   Wi [I, H]   Wo [H, I]   →   y [n, H]
 *
 * Kernels: linear, activation (src/backends).
 * Names follow Hugging Face's Switch Transformers checkpoints: `wi`, `wo` (no biases). The activation
 * is applied in float64 to the float32 pre-activation and rounded once.
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { synchronousBackendOf, type BackendOption } from '../backends/registry.js';
import { checkObject, checkOneOf } from '../tensor/errors.js';
import { checkFinite, checkProducedFinite, checkShape, type Tensor } from '../tensor/tensor.js';
import { FFN_ACTIVATIONS, type FFNActivation } from './kind.js';

/** The two matrices of a classic FFN expert. */
export interface FFNParams {
  /** [I, H] input projection. */
  wi: Tensor;
  /** [H, I] output projection. */
  wo: Tensor;
}

/** Checks an FFN expert's matrices; returns I. */
export function checkFFNParams(params: FFNParams, hidden: number): number {
  checkObject('params', params, 'an object { wi, wo } of tensors');
  checkShape('wi.weight', params.wi, ['I', hidden]);
  const intermediate = params.wi.shape[0];
  checkShape('wo.weight', params.wo, [hidden, intermediate]);
  checkFinite('wi.weight', params.wi);
  checkFinite('wo.weight', params.wo);
  return intermediate;
}

/** The expert on the backend: x [n, H] and the matrices already on the device → [n, H]. */
export function ffnOnDevice(kernels: Kernels, x: DeviceTensor, weights: { wi: DeviceTensor; wo: DeviceTensor }, activation: FFNActivation): DeviceTensor {
  return kernels.linear(kernels.activation(kernels.linear(x, weights.wi), activation), weights.wo);
}

/** Classic FFN expert forward. x [n, H] → [n, H]. */
export function ffn(x: Tensor, params: FFNParams, activation: FFNActivation = 'relu', options: BackendOption = {}): Tensor {
  checkShape('x', x, ['n', 'H']);
  checkFFNParams(params, x.shape[1]);
  checkOneOf('activation', activation, FFN_ACTIVATIONS);
  checkFinite('x', x);
  const kernels = synchronousBackendOf(options, 'moeForwardAsync');
  const y = kernels.readSync(ffnOnDevice(kernels, kernels.upload(x), { wi: kernels.upload(params.wi), wo: kernels.upload(params.wo) }, activation));
  checkProducedFinite('expert', 'y', y);
  return y;
}
