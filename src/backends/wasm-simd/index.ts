/**
 * The `wasm-simd` backend: the cpu reference with `linear` (every router, expert and shared-expert
 * matrix product: 97% of a forward) run by a WebAssembly SIMD kernel, bit-identical to cpu. The
 * kernel is described in kernel.ts and assembled at load by assembler.ts; every other kernel is the
 * cpu one (they are memory-bound and cheap). Listed in src/backends/registry.ts, so every property
 * spec runs on it, and chosen by `defaultBackend()` wherever `WebAssembly.validate` accepts the module.
 *
 * One `linear` call, x [T, in], W [out, in] → y [T, out]:
 *   1. copy W into the module's memory as it is (one memcpy), and x as float64, 4 tokens interleaved
 *      (zero rows pad T up to a multiple of 4; W's padding rows up to a multiple of 4 are whatever the
 *      memory holds: they only feed padding outputs, which are never read, since lanes never mix);
 *   2. run `tile` over every (4-token, 4-output) tile, the output tiles split between this thread
 *      and, for products of at least `minMultiplyAddsToSplit` multiply-adds, one helper thread
 *      (threads/helper-thread.ts);
 *   3. read the float64 sums back, add the bias in float64, round once to float32.
 * Nothing is cached between calls, so weights changed in place are always seen.
 *
 *   linear   x [T, in], weight [out, in], bias [out]? → [T, out]        (everything else: cpu)
 */
import { availableParallelism } from 'node:os';
import { zeros, type Tensor } from '../../tensor/tensor.js';
import { cpuBackend } from '../cpu/index.js';
import type { DeviceTensor, Kernels } from '../kernels.js';
import { HelperThread } from '../threads/helper-thread.js';
import { linearKernelModule } from './kernel.js';

/** Options of `createWasmSimdBackend`. */
export interface WasmSimdOptions {
  /** 1 (this thread only) or 2 (one helper thread); default 2 where the machine has 2 or more cores. */
  threads?: 1 | 2;
  /** Products smaller than this many multiply-adds stay on one thread (default 2^21). */
  minMultiplyAddsToSplit?: number;
}

let compiled: WebAssembly.Module | undefined | null;

/** The compiled kernel module, or null where the runtime lacks WebAssembly SIMD or shared memory. */
export function wasmSimdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = linearKernelModule();
      compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;
const host = (t: DeviceTensor) => t as Tensor;

/** A wasm-simd backend with its own memory (and helper thread). Throws where `wasmSimdModule()` is null. */
export function createWasmSimdBackend(options: WasmSimdOptions = {}): Kernels {
  const module = wasmSimdModule();
  if (module === null) throw new Error('wasm-simd: this runtime does not support WebAssembly SIMD with shared memory');
  const threads = options.threads ?? (availableParallelism() >= 2 ? 2 : 1);
  const minMultiplyAddsToSplit = options.minMultiplyAddsToSplit ?? 2 ** 21;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const tiles = new WebAssembly.Instance(module, { env: { memory } }).exports.tiles as (...args: number[]) => void;
  let helper: HelperThread | undefined;

  function ensureBytes(bytes: number): ArrayBuffer {
    const missing = bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
    return memory.buffer as unknown as ArrayBuffer;
  }

  function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
    const [tokens, n] = x.shape;
    const outFeatures = weight.shape[0];
    const tokenTiles = Math.ceil(tokens / 4);
    const outputTiles = Math.ceil(outFeatures / 4);
    // Byte layout: x tiles [tokenTiles][n][4] f64 | W [4·outputTiles][n] f32 | y [4·outputTiles][4·tokenTiles] f64
    const xBase = 0;
    const wBase = xBase + tokenTiles * n * 32;
    const yBase = wBase + Math.ceil((outputTiles * 4 * n * 4) / 8) * 8;
    const buffer = ensureBytes(yBase + outputTiles * 4 * tokenTiles * 32);
    const xTiles = new Float64Array(buffer, xBase, tokenTiles * n * 4);
    const xData = x.data;
    for (let t = 0; t < tokenTiles * 4; t++) {
      const lane = (t >> 2) * n * 4 + (t & 3);
      if (t < tokens) for (let i = 0; i < n; i++) xTiles[lane + i * 4] = xData[t * n + i];
      else for (let i = 0; i < n; i++) xTiles[lane + i * 4] = 0;
    }
    new Float32Array(buffer, wBase, outFeatures * n).set(weight.data.subarray(0, outFeatures * n));

    const wStride = n * 4;
    const yStride = tokenTiles * 32;
    const tileArguments = (firstOutputTile: number, endOutputTile: number) => [xBase, wBase, yBase, n, wStride, yStride, tokenTiles, firstOutputTile, endOutputTile];
    if (threads === 2 && outputTiles >= 2 && tokens * n * outFeatures >= minMultiplyAddsToSplit) {
      helper ??= new HelperThread(module!, memory, ['tiles']);
      const half = Math.ceil(outputTiles / 2);
      helper.start('tiles', tileArguments(half, outputTiles));
      tiles(...tileArguments(0, half));
      helper.wait();
    } else {
      tiles(...tileArguments(0, outputTiles));
    }

    const sums = new Float64Array(buffer, yBase, outputTiles * 4 * tokenTiles * 4);
    const y = zeros([tokens, outFeatures]);
    const bData = bias?.data;
    for (let o = 0; o < outFeatures; o++) {
      const row = o * tokenTiles * 4;
      for (let t = 0; t < tokens; t++) y.data[t * outFeatures + o] = bData === undefined ? sums[row + t] : sums[row + t] + bData[o]; // one rounding
    }
    return y;
  }

  return {
    ...cpuBackend,
    name: threads === 2 ? 'wasm-simd' : 'wasm-simd-1-thread',
    linear: (x, weight, bias) => linear(host(x), host(weight), bias === undefined ? undefined : host(bias)),
  };
}
