/**
 * The backends moe-oracle knows, and how a component picks one.
 *
 * Adding a backend is one file in src/backends/ that implements `Kernels` (kernels.ts) and one entry
 * in `BACKENDS`; every property spec then runs on it too (spec/backends.ts reads this list).
 * Components take `{ backend }` and default to `cpu`, the reference.
 */
import { MoEOracleError, describe } from '../tensor/errors.js';
import { cpuBackend } from './cpu/index.js';
import type { Kernels } from './kernels.js';

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
];

/** The option every component takes. */
export interface BackendOption {
  /** The kernels to run on; default `cpu`. */
  backend?: Kernels;
}

const KERNEL_NAMES = [
  'upload', 'readSync', 'read', 'linear', 'activation', 'siluAndMul', 'clampedSwiGLU', 'softmax', 'logSumExp', 'rmsNorm',
  'gatherRows', 'scatterRows', 'combine', 'batchedMatmul', 'maskedSoftmax', 'splitHeads', 'mergeHeads', 'concatLastAxis', 'rope',
] as const;

/** The backend of a component call: `options.backend` checked, or `cpu`. */
export function backendOf(options: BackendOption | undefined): Kernels {
  const backend = options?.backend;
  if (backend === undefined) return cpuBackend;
  const missing = typeof backend === 'object' && backend !== null ? KERNEL_NAMES.filter((k) => typeof (backend as unknown as Record<string, unknown>)[k] !== 'function') : KERNEL_NAMES;
  if (missing.length > 0) throw new MoEOracleError('options.backend', `a Kernels object (src/backends/kernels.ts) with ${missing.join(', ')}`, describe(backend));
  return backend;
}

/** The backend of a synchronous entry point: refuses an asynchronous one with a pointer to the async twin. */
export function synchronousBackendOf(options: BackendOption | undefined, asyncTwin: string): Kernels {
  const backend = backendOf(options);
  if (!backend.synchronous) throw new MoEOracleError('options.backend', `a synchronous backend here (use ${asyncTwin} with '${backend.name}')`, `the asynchronous backend '${backend.name}'`);
  return backend;
}
