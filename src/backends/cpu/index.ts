/**
 * The `cpu` backend: the readable reference. Every kernel is a plain loop over typed arrays with
 * float64 accumulation and one rounding to float32 per output; each lives in a file of its own in
 * this folder. A device tensor is the host Tensor itself, so upload and read back cost nothing.
 */
import { contiguous, type Tensor } from '../../tensor/tensor.js';
import type { DeviceTensor, Kernels } from '../kernels.js';
import { activationCpu, siluAndMulCpu } from './elementwise.js';
import { clampedSwiGLUCpu } from './clamped-swiglu.js';
import { combineCpu, gatherRowsCpu, scatterRowsCpu } from './gather-combine.js';
import { linearCpu } from './linear.js';
import { concatLastAxisCpu, mergeHeadsCpu, splitHeadsCpu } from './heads.js';
import { batchedMatmulCpu } from './matmul.js';
import { rmsNormCpu } from './rmsnorm.js';
import { ropeCpu } from './rope.js';
import { logSumExpCpu, maskedSoftmaxCpu, softmaxCpu } from './softmax.js';

/** On this backend a device tensor is the host tensor. */
const host = (t: DeviceTensor) => t as Tensor;

export const cpuBackend: Kernels = {
  name: 'cpu',
  synchronous: true,
  upload: (t) => contiguous(t),
  readSync: host,
  read: async (t) => host(t),
  linear: (x, weight, bias) => linearCpu(host(x), host(weight), bias === undefined ? undefined : host(bias)),
  activation: (x, activation) => activationCpu(host(x), activation),
  siluAndMul: (gate, up) => siluAndMulCpu(host(gate), host(up)),
  clampedSwiGLU: (gate, up, options) => clampedSwiGLUCpu(host(gate), host(up), options.alpha, options.limit),
  softmax: (z) => softmaxCpu(host(z)),
  logSumExp: (z) => logSumExpCpu(host(z)),
  rmsNorm: (x, weight, eps) => rmsNormCpu(host(x), host(weight), eps),
  gatherRows: (x, rows) => gatherRowsCpu(host(x), rows),
  scatterRows: (parts, rowCount, hidden) => scatterRowsCpu(parts.map((p) => ({ values: host(p.values), rows: p.rows })), rowCount, hidden),
  combine: (weights, slotOutputs, shared) =>
    combineCpu(host(weights), host(slotOutputs), shared === undefined ? undefined : { output: host(shared.output), gate: host(shared.gate) }),
  batchedMatmul: (a, b, options) => batchedMatmulCpu(host(a), host(b), options?.transposeB ?? false),
  maskedSoftmax: (scores, options) => maskedSoftmaxCpu(host(scores), options.scale, options.causalOffset),
  splitHeads: (x, heads, columns) => splitHeadsCpu(host(x), heads, columns),
  mergeHeads: (x) => mergeHeadsCpu(host(x)),
  concatLastAxis: (parts) => concatLastAxisCpu(parts.map(host)),
  rope: (x, rotation) => ropeCpu(host(x), rotation),
};
