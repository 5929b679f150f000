/**
 * The backends moe-oracle knows, and how a component picks one.
 *
 * Adding a backend is one file in src/backends/ that implements `Kernels` (kernels.ts) and one entry
 * in `BACKENDS`; every property spec then runs on it too (spec/backends.ts reads this list).
 * Components take `{ backend }`; without one they run on `defaultBackend()`: the fastest backend
 * that is bit-identical to `cpu` on this runtime (`wasm-simd` where `WebAssembly.validate` accepts its
 * SIMD module with shared memory, else `cpu`). `cpu` stays the readable specification, selectable by
 * name; the default changes speed, never a bit (spec/backends/fast-linear-kernels-equal-the-naive-loop-bit-for-bit.spec.ts
 * and every property spec, which runs on each backend below).
 */
import { MoEOracleError, checkOptions, describe } from '../tensor/errors.js';
import { cpuBackend } from './cpu/index.js';
import type { Kernels } from './kernels.js';
import { createWasmSimdBackend, wasmSimdModule } from './wasm-simd/index.js';

/** One known backend. */
export interface BackendEntry {
  name: string;
  /** What it is, in a few words. */
  description: string;
  /** Bit-identical to `cpu` (so specs may compare exactly); otherwise compared within tolerance. */
  bitIdenticalToCpu: boolean;
  /** Makes the backend (asynchronously: a GPU backend must find its device first). */
  create(): Promise<Kernels>;
}

/** Every backend of the library. */
export const BACKENDS: readonly BackendEntry[] = [
  { name: 'cpu', description: 'the reference: plain loops, float64 accumulation, one rounding', bitIdenticalToCpu: true, create: async () => cpuBackend },
  // Listed only where the runtime supports WebAssembly SIMD and shared memory (Node ≥ 16.4, every current browser).
  ...(wasmSimdModule() === null
    ? []
    : [{ name: 'wasm-simd', description: 'cpu with linear as a WebAssembly SIMD kernel on up to 2 threads, bit-identical to cpu', bitIdenticalToCpu: true, create: async () => defaultBackend() }]),
];

let fastest: Kernels | undefined;

/** The backend components use when given none: `wasm-simd` where supported, else `cpu`; both give the same bits. */
export function defaultBackend(): Kernels {
  fastest ??= wasmSimdModule() === null ? cpuBackend : createWasmSimdBackend();
  return fastest;
}

/** The option every component takes. */
export interface BackendOption {
  /** The kernels to run on; default `defaultBackend()` (wasm-simd where supported, else cpu: the same bits). */
  backend?: Kernels;
}

const KERNEL_NAMES = [
  'upload', 'readSync', 'read', 'linear', 'activation', 'siluAndMul', 'clampedSwiGLU', 'softmax', 'logSumExp', 'rmsNorm',
  'gatherRows', 'scatterRows', 'combine', 'batchedMatmul', 'maskedSoftmax', 'splitHeads', 'mergeHeads', 'concatLastAxis', 'rope',
] as const;

/** Throws unless `backend` is a Kernels object (every kernel a function); returns it. */
export function checkKernels(argument: string, backend: unknown): Kernels {
  const missing = typeof backend === 'object' && backend !== null ? KERNEL_NAMES.filter((k) => typeof (backend as Record<string, unknown>)[k] !== 'function') : KERNEL_NAMES;
  if (missing.length > 0) throw new MoEOracleError(argument, `a Kernels object (src/backends/kernels.ts) with ${missing.join(', ')}`, describe(backend));
  return backend as Kernels;
}

/** The backend of a component call: `options.backend` checked, or `defaultBackend()`. */
export function backendOf(options: BackendOption | undefined): Kernels {
  const backend = checkOptions('options', options).backend;
  if (backend === undefined) return defaultBackend();
  return checkKernels('options.backend', backend);
}

/** The backend of a synchronous entry point: refuses an asynchronous one with a pointer to the async twin. */
export function synchronousBackendOf(options: BackendOption | undefined, asyncTwin: string): Kernels {
  const backend = backendOf(options);
  if (!backend.synchronous) throw new MoEOracleError('options.backend', `a synchronous backend here (use ${asyncTwin} with '${backend.name}')`, `the asynchronous backend '${backend.name}'`);
  return backend;
}
