/**
 * The checked tensor ops: each validates its arguments (shapes, finiteness), runs one kernel on the
 * chosen backend (default `defaultBackend()`, bit-identical to `cpu`), reads the result back and checks it did not overflow. The same
 * validate → kernel split as tfjs-core's ops (`ops/softmax.ts` → `runKernel('Softmax')`).
 *
 *   linear      x [T, in], weight [out, in], bias [out]? → [T, out]
 *   softmax     z [R, C] → [R, C]           logSumExp  z [R, C] → [R]     (−Infinity allowed)
 *   sigmoid, silu, relu, gelu, geluTanh     any shape → same shape
 *   rmsNorm     x [T, H], weight [H] → [T, H]
 *
 * Numerics are the cpu kernels' (src/backends/cpu/*.ts): float64 inside, one rounding to float32.
 */
import { checkFiniteNumber, checkOneOf, checkOptions } from '../tensor/errors.js';
import { ACTIVATIONS, type Activation } from '../tensor/activations.js';
import { checkFinite, checkProducedFinite, checkShape, checkTensor, type Tensor } from '../tensor/tensor.js';
import { synchronousBackendOf, type BackendOption } from './registry.js';

/** y = x·Wᵀ + b. Shapes: x [T, in], weight [out, in], bias [out] → [T, out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor, options: BackendOption & { names?: { x?: string; weight?: string; bias?: string } } = {}): Tensor {
  const names = checkOptions('options.names', checkOptions('options', options).names);
  const xName = names.x ?? 'x';
  const weightName = names.weight ?? 'weight';
  const biasName = names.bias ?? 'bias';
  checkShape(xName, x, ['T', 'in']);
  checkShape(weightName, weight, ['out', x.shape[1]]);
  if (bias !== undefined) checkShape(biasName, bias, [weight.shape[0]]);
  checkFinite(xName, x);
  checkFinite(weightName, weight);
  if (bias !== undefined) checkFinite(biasName, bias);
  const kernels = synchronousBackendOf(options, 'the async components');
  const y = kernels.readSync(kernels.linear(kernels.upload(x), kernels.upload(weight), bias === undefined ? undefined : kernels.upload(bias)));
  checkProducedFinite('linear', 'y', y);
  return y;
}

function checkLogits(argument: string, z: Tensor): void {
  checkShape(argument, z, ['rows', 'columns']);
  checkFinite(argument, z, { allowNegativeInfinity: true });
}

/** Row-wise softmax. z [R, C] → [R, C]. A row that is all −Infinity is an error. */
export function softmax(z: Tensor, options: BackendOption & { argument?: string } = {}): Tensor {
  const argument = checkOptions('options', options).argument ?? 'logits';
  checkLogits(argument, z);
  const kernels = synchronousBackendOf(options, 'the async components');
  return kernels.readSync(kernels.softmax(kernels.upload(z)));
}

/** Row-wise log-sum-exp. z [R, C] → [R]. */
export function logSumExp(z: Tensor, options: BackendOption & { argument?: string } = {}): Tensor {
  const argument = checkOptions('options', options).argument ?? 'logits';
  checkLogits(argument, z);
  const kernels = synchronousBackendOf(options, 'the async components');
  return kernels.readSync(kernels.logSumExp(kernels.upload(z)));
}

/** One element-wise activation. Any shape. */
export function activation(x: Tensor, name: Activation, options: BackendOption = {}): Tensor {
  checkTensor('x', x);
  checkOneOf('activation', name, ACTIVATIONS);
  checkFinite('x', x);
  const kernels = synchronousBackendOf(options, 'the async components');
  const y = kernels.readSync(kernels.activation(kernels.upload(x), name));
  checkProducedFinite(name, 'y', y);
  return y;
}

/** Element-wise sigmoid. Any shape. */
export const sigmoid = (x: Tensor, options?: BackendOption): Tensor => activation(x, 'sigmoid', options);
/** Element-wise SiLU. Any shape. */
export const silu = (x: Tensor, options?: BackendOption): Tensor => activation(x, 'silu', options);
/** Element-wise ReLU. Any shape. */
export const relu = (x: Tensor, options?: BackendOption): Tensor => activation(x, 'relu', options);
/** Element-wise exact GELU. Any shape. */
export const gelu = (x: Tensor, options?: BackendOption): Tensor => activation(x, 'gelu', options);
/** Element-wise tanh-approximation GELU. Any shape. */
export const geluTanh = (x: Tensor, options?: BackendOption): Tensor => activation(x, 'gelu-tanh', options);

/** RMSNorm over the last axis. x [T, H], weight [H]; eps defaults to 1e-6 (Mixtral uses 1e-5). */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6, options: BackendOption = {}): Tensor {
  checkShape('x', x, ['T', 'H']);
  checkShape('weight', weight, [x.shape[1]]);
  checkFinite('x', x);
  checkFinite('weight', weight);
  checkFiniteNumber('eps', eps, 0);
  const kernels = synchronousBackendOf(options, 'the async components');
  const y = kernels.readSync(kernels.rmsNorm(kernels.upload(x), kernels.upload(weight), eps));
  checkProducedFinite('rmsnorm', 'y', y);
  return y;
}
