// runSynchronously (src/backends/gpujs/synchronous-view.ts), which verifies an asynchronous backend
// (gpu.js's webgpu) on every golden component, returns exactly what the computation gives on that
// backend: no cpu stand-in survives into the result. Checked with an asynchronous backend whose linear
// kernel differs from cpu (it scales by 1 + 2⁻¹²): the view's MoE layer equals, bit for bit, the
// synchronous layer on the same altered kernels, and differs from cpu.
import { describe, expect, it } from 'vitest';
import { runSynchronously } from '../../../src/backends/gpujs/synchronous-view.js';
import { cpuBackend, initMoEParams, moeForward, tensor, type DeviceTensor, type Kernels, type MoEConfig, type Tensor } from '../../../src/index.js';
import { randomInput } from '../../helpers.js';

const host = (t: DeviceTensor) => t as Tensor;
const scaledLinear: Kernels = {
  ...cpuBackend,
  name: 'scaled-linear',
  linear: (x, w, b) => tensor(Float32Array.from(host(cpuBackend.linear(x, w, b)).data, (v) => v * (1 + 2 ** -12)), [x.shape[0], w.shape[0]]),
};

/** Every kernel of `sync`, its result arriving in a later macrotask. */
function asynchronous(sync: Kernels): Kernels {
  class Pending { constructor(readonly shape: readonly number[], readonly values: Promise<Tensor>) {} }
  const wrapped: Record<string, unknown> = {
    name: `async ${sync.name}`, synchronous: false,
    upload: (t: Tensor) => new Pending(t.shape, Promise.resolve(sync.upload(t) as Tensor)),
    readSync: () => { throw new Error('asynchronous'); },
    read: (t: Pending) => t.values,
  };
  for (const kernel of Object.keys(sync)) {
    if (kernel in wrapped) continue;
    wrapped[kernel] = (...args: unknown[]) => {
      const resolved = Promise.all(args.map(async (a) => (a instanceof Pending ? a.values : Array.isArray(a) ? Promise.all(a.map(async (p) => ({ ...p, values: await p.values.values }))) : a instanceof Object && 'output' in a ? { output: await (a as any).output.values, gate: await (a as any).gate.values } : a)));
      const values = resolved.then((hostArgs) => new Promise<Tensor>((resolve) => setTimeout(() => resolve((sync as any)[kernel](...hostArgs)), 0)));
      return new Pending([], values); // the view reads values only, never a handle's shape
    };
  }
  return wrapped as unknown as Kernels;
}

describe('the synchronous view of an asynchronous backend', () => {
  it("gives the backend's own bits for the MoE layer (shared expert, gate), never a cpu stand-in", async () => {
    const config: MoEConfig = { hiddenSize: 12, numExperts: 5, expertIntermediateSize: 20, router: { topK: 2 }, sharedExpertIntermediateSize: 8, sharedExpertGate: true };
    const params = initMoEParams(config, 5);
    const x = randomInput(9, 12, 5);
    const viaView = await runSynchronously(asynchronous(scaledLinear), (kernels) => moeForward(x, params, config, { backend: kernels }));
    const direct = moeForward(x, params, config, { backend: scaledLinear });
    expect(Array.from(viaView.output.data)).toEqual(Array.from(direct.output.data));
    expect(Array.from(viaView.router.topkIndices.data)).toEqual(Array.from(direct.router.topkIndices.data));
    expect(Array.from(viaView.output.data)).not.toEqual(Array.from(moeForward(x, params, config).output.data));
  });
});
