/**
 * The gpu.js runtime the kernels of this folder share: how a kernel is compiled once and run on
 * outputs of any size, and what a kernel function may assume. Nothing here computes a value of the
 * model; each kernel file (linear.ts, softmax.ts, …) holds its own gpu.js kernels beside the cpu loop
 * they mirror.
 *
 * gpu.js (https://github.com/gpujs/gpu.js) turns a plain JavaScript function into a GLSL fragment
 * shader (modes `webgl`, `webgl2`, `headlessgl`) or a WGSL compute shader (`webgpu`); the function
 * runs once per output element, which it finds in `this.thread.x`. Every kernel here:
 *   - has a 1-D output (the flat row-major index of the element) and flat Float32Array arguments, so
 *     one compiled kernel serves every shape (`dynamicOutput`, `dynamicArguments`; sizes are
 *     arguments, not constants);
 *   - runs with `precision: 'single'`: float32 storage and float32 arithmetic, reductions accumulated
 *     in float32 in increasing index order within one thread (the GPU's own rounding, not the
 *     reference's float64 sum: see the README, "gpu.js backend");
 *   - splits a flat index into (row, column) as row = floor((i + 0.5) / columns): GPU division is not
 *     correctly rounded (GLSL ES allows 2.5 ulp), so floor(i / columns) could land one below an exact
 *     quotient; the half keeps the quotient half a step away from every integer.
 *
 * `GpuLike` is the part of gpu.js's `GPU` object this backend uses, so the library does not import
 * gpu.js itself: a Node program or a page makes its own `new GPU({ mode })` and passes it in.
 */
import { MoEOracleError } from '../../tensor/errors.js';

/** What a gpu.js kernel function sees as `this`. */
export interface KernelThis {
  thread: { x: number };
}

/** A compiled gpu.js kernel (gpu.js's `IKernelRunShortcut`, the part used here). */
export interface GpuKernel {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): unknown;
  destroy?(): void;
}

/** The part of gpu.js's `GPU` this backend uses. */
export interface GpuLike {
  /** The mode gpu.js runs in ('headlessgl', 'webgl2', 'webgl', 'webgpu', 'cpu', …). */
  readonly mode?: string;
  createKernel(fn: Function, settings: Record<string, unknown>): GpuKernel;
  destroy?(): unknown;
}

/** The longest loop a kernel may run (gpu.js compiles loops with a fixed bound and a break). */
export const LOOP_MAX_ITERATIONS = 1 << 20;

/** gpu.js argument types, by parameter name: 'Array' (flat Float32Array), 'Integer' or 'Float'. */
export type ArgumentTypes = Record<string, 'Array' | 'Integer' | 'Float'>;

/**
 * Compiles kernels lazily (on first use) and runs them. `run(kernel, n, args)` returns the n outputs:
 * a Float32Array on a synchronous mode, a Promise of one on `webgpu`.
 */
export class KernelRunner {
  private readonly compiled = new Map<Function, GpuKernel>();

  constructor(readonly gpu: GpuLike) {}

  /** Runs `fn` (a gpu.js kernel function, its argument types given) over n output elements. */
  run(fn: Function, argumentTypes: ArgumentTypes, n: number, args: unknown[]): Float32Array | Promise<Float32Array> {
    if (n === 0) return new Float32Array(0);
    let kernel = this.compiled.get(fn);
    if (kernel === undefined) {
      kernel = this.gpu.createKernel(fn, {
        output: [n], precision: 'single', dynamicOutput: true, dynamicArguments: true, loopMaxIterations: LOOP_MAX_ITERATIONS,
        argumentTypes, tactic: 'precision',
      });
      this.compiled.set(fn, kernel);
    }
    kernel.setOutput([n]);
    const result = kernel(...args) as Float32Array | Promise<Float32Array>;
    // A fresh copy: gpu.js may hand back a view of a buffer it reuses on the next call.
    return result instanceof Promise ? result.then((values) => Float32Array.from(values.subarray(0, n))) : Float32Array.from(result.subarray(0, n));
  }

  destroy(): void {
    for (const kernel of this.compiled.values()) kernel.destroy?.();
    this.compiled.clear();
  }
}

/** Refuses a reduction longer than a kernel loop may run. */
export function checkLoopLength(argument: string, length: number): void {
  if (length > LOOP_MAX_ITERATIONS) throw new MoEOracleError(argument, `a reduction of at most ${LOOP_MAX_ITERATIONS} terms on the gpu.js backend`, `${length}`);
}
