// The backends every property spec runs on: one spec body, every backend (as tfjs's
// `describeWithFlags` runs one test on each backend). The list is the library's own `BACKENDS`
// (src/backends/registry.ts), so a new backend gets every property spec by being listed there.
// Property specs call the synchronous entries, so they take the synchronous backends; asynchronous
// backends are checked through the async entries (spec/backends/async-wrapper-gives-the-same-bits.spec.ts)
// and by `verify`.
import { BACKENDS, type Kernels } from '../src/index.js';

export interface SpecBackend {
  name: string;
  kernels: Kernels;
  /** Bit-identical to cpu: exact comparisons hold; otherwise compare within tolerance. */
  bitIdenticalToCpu: boolean;
}

const created: SpecBackend[] = await Promise.all(
  BACKENDS.map(async (entry) => ({ name: entry.name, kernels: await entry.create(), bitIdenticalToCpu: entry.bitIdenticalToCpu })),
);

/** The synchronous backends, for `describe.each(SPEC_BACKENDS)('… on $name', (backend) => …)`. */
export const SPEC_BACKENDS: SpecBackend[] = created.filter((b) => b.kernels.synchronous);

import * as moe from '../src/index.js';

/**
 * The library's entry points bound to one backend, so a spec body reads as plain calls:
 * `const { moeForward } = backend.ops;` inside `describe.each(SPEC_BACKENDS)`.
 */
export function entryPointsOn(kernels: Kernels) {
  const backend = { backend: kernels };
  return {
    moeForward: (x: moe.Tensor, params: moe.StateDict, config: moe.MoEConfig, options: moe.MoEForwardOptions = {}) => moe.moeForward(x, params, config, { ...options, ...backend }),
    route: (x: moe.Tensor, params: moe.RouterParams, config: moe.RouterConfig, options: moe.RouteOptions = {}) => moe.route(x, params, config, { ...options, ...backend }),
    swiGLU: (x: moe.Tensor, params: moe.SwiGLUParams) => moe.swiGLU(x, params, backend),
    ffn: (x: moe.Tensor, params: moe.FFNParams, activation?: moe.FFNActivation) => moe.ffn(x, params, activation, backend),
    linear: (x: moe.Tensor, weight: moe.Tensor, bias?: moe.Tensor) => moe.linear(x, weight, bias, backend),
    softmax: (z: moe.Tensor) => moe.softmax(z, backend),
    logSumExp: (z: moe.Tensor) => moe.logSumExp(z, backend),
    rmsNorm: (x: moe.Tensor, weight: moe.Tensor, eps?: number) => moe.rmsNorm(x, weight, eps, backend),
    sigmoid: (x: moe.Tensor) => moe.sigmoid(x, backend),
    silu: (x: moe.Tensor) => moe.silu(x, backend),
    relu: (x: moe.Tensor) => moe.relu(x, backend),
    gelu: (x: moe.Tensor) => moe.gelu(x, backend),
    geluTanh: (x: moe.Tensor) => moe.geluTanh(x, backend),
  };
}
