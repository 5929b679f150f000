/**
 * Runs a synchronous computation (any component's reference entry, e.g. a golden component's `run`)
 * on an asynchronous backend (gpu.js's webgpu mode), so that every golden family can be verified on
 * it without an async twin of each component.
 *
 * The computation runs in passes over a synchronous view of the backend whose device tensors are host
 * tensors. Each kernel call is looked up by its exact arguments (kernel name, every number, every
 * element of every input tensor, bit for bit) in the results the asynchronous backend has delivered:
 *   - found: the backend's result is returned;
 *   - not found: the cpu kernel's result stands in, so the pass can go on (selection, dispatch …), and,
 *     when every input tensor of the call is itself the backend's (or uploaded), the call is sent to
 *     the asynchronous backend.
 * After a pass with stand-ins, the sent calls are awaited and the computation runs again. A pass in
 * which every kernel call was found used only the backend's results, in the order the computation
 * asks for them: its outcome is exactly what the computation gives on that backend, and is returned.
 * The number of passes is the depth of the chain of kernels (about 8 for an MoE layer).
 *
 * Cost: each pass reruns the computation and the stand-ins on the cpu; meant for golden-sized cases.
 */
import { MoEOracleError } from '../../tensor/errors.js';
import { contiguous, tensor, type IntTensor, type Tensor } from '../../tensor/tensor.js';
import { cpuBackend } from '../cpu/index.js';
import type { DeviceTensor, Kernels } from '../kernels.js';

/** A device tensor of the view: host values, and whether they came from the backend (or an upload). */
class ViewTensor implements DeviceTensor {
  constructor(
    readonly host: Tensor,
    readonly fromBackend: boolean,
  ) {}
  get shape(): readonly number[] {
    return this.host.shape;
  }
}

/** Replaces every ViewTensor inside a kernel argument (tensors, arrays, plain objects). */
function mapTensors(value: unknown, f: (t: ViewTensor) => unknown): unknown {
  if (value instanceof ViewTensor) return f(value);
  if (Array.isArray(value)) return value.map((v) => mapTensors(v, f));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapTensors(v, f)]));
  }
  return value;
}

/** The exact arguments of a call as a string: numbers and index arrays as written, tensors as their bits. */
function callKey(kernel: string, args: unknown[]): string {
  return kernel + JSON.stringify(args, (_key, value) => {
    if (value instanceof ViewTensor) return { shape: value.shape, bits: Array.from(new Uint32Array(Float32Array.from(value.host.data).buffer)) };
    if (value instanceof Int32Array) return Array.from(value);
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    return value;
  });
}

const NOT_KERNELS = new Set(['name', 'synchronous', 'upload', 'readSync', 'read']);

/**
 * Runs `computation` on `backend` as described above; on a synchronous backend, simply calls it.
 * @throws MoEOracleError when the passes do not settle within `maxPasses`.
 */
export async function runSynchronously<T>(backend: Kernels, computation: (kernels: Kernels) => T, maxPasses = 64): Promise<T> {
  if (backend.synchronous) return computation(backend);
  const delivered = new Map<string, Tensor>();
  for (let pass = 0; pass < maxPasses; pass++) {
    const sent = new Map<string, Promise<Tensor>>();
    let standIns = 0;
    const view: Record<string, unknown> = {
      name: `${backend.name} (synchronous view)`,
      synchronous: true,
      upload: (t: Tensor) => new ViewTensor(contiguous(t), true),
      readSync: (t: DeviceTensor) => tensor(Float32Array.from((t as ViewTensor).host.data), t.shape),
      read: async (t: DeviceTensor) => tensor(Float32Array.from((t as ViewTensor).host.data), t.shape),
    };
    for (const kernel of Object.keys(cpuBackend)) {
      if (NOT_KERNELS.has(kernel)) continue;
      view[kernel] = (...args: unknown[]) => {
        const key = callKey(kernel, args);
        const found = delivered.get(key);
        if (found !== undefined) return new ViewTensor(found, true);
        standIns++;
        let allFromBackend = true;
        const hostArgs = mapTensors(args, (t) => {
          allFromBackend &&= t.fromBackend;
          return t.host;
        }) as unknown[];
        if (allFromBackend && !sent.has(key)) {
          const deviceArgs = mapTensors(args, (t) => backend.upload(t.host)) as unknown[];
          const result = (backend as unknown as Record<string, (...a: unknown[]) => DeviceTensor>)[kernel](...deviceArgs);
          sent.set(key, backend.read(result));
        }
        return new ViewTensor((cpuBackend as unknown as Record<string, (...a: unknown[]) => Tensor | IntTensor>)[kernel](...hostArgs) as Tensor, false);
      };
    }
    const outcome = computation(view as unknown as Kernels);
    if (standIns === 0) return outcome;
    for (const [key, result] of sent) delivered.set(key, await result);
  }
  throw new MoEOracleError('runSynchronously', `a computation that settles within ${maxPasses} passes`, `one still waiting for '${backend.name}'`);
}
