/**
 * The `wasm-simd` backend: the cpu reference with `linear` (every router, expert and shared-expert
 * matrix product: 97% of a forward) run by a WebAssembly SIMD kernel, bit-identical to cpu. The
 * kernel is described in kernel.ts and assembled at load by assembler.ts; every other kernel is the
 * cpu one (they are memory-bound and cheap). Listed in src/backends/registry.ts, so every property
 * spec runs on it, and chosen by `defaultBackend()` wherever `WebAssembly.validate` accepts the module.
 *
 * One `linear` call, x [T, in], W [out, in] → y [T, out]:
 *   1. copy W into the module's memory as it is (one memcpy), and x as float64: full groups of 4
 *      tokens interleaved for `tile`, the last 0–3 tokens row by row for `row`. W's padding rows (up
 *      to a multiple of 8) are whatever the memory holds: they only feed padding outputs, which are
 *      never read, since lanes never mix;
 *   2. run `tile` over every (4-token, 4-output) tile and `row` over every (last token, 8 outputs)
 *      group, split between this thread and, for products of at least `minMultiplyAddsToSplit`
 *      multiply-adds, one helper thread (threads/helper-thread.ts);
 *   3. read the float64 sums back, add the bias in float64, round once to float32.
 * Nothing is cached between calls, so weights changed in place are always seen.
 *
 *   linear   x [T, in], weight [out, in], bias [out]? → [T, out]        (everything else: cpu)
 */
import { availableParallelism } from 'node:os';
import { checkInteger, checkOptions, MoEOracleError } from '../../tensor/errors.js';
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
  checkOptions('options', options);
  const threads = options.threads === undefined ? (availableParallelism() >= 2 ? 2 : 1) : checkInteger('options.threads', options.threads, 1, 2);
  const minMultiplyAddsToSplit = options.minMultiplyAddsToSplit === undefined ? 2 ** 21 : checkInteger('options.minMultiplyAddsToSplit', options.minMultiplyAddsToSplit, 0);
  const module = wasmSimdModule();
  if (module === null) throw new MoEOracleError('runtime', 'WebAssembly SIMD with shared memory (for the wasm-simd backend)', 'a runtime without them');
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const tiles = kernels.tiles as (...args: number[]) => void;
  const rows = kernels.rows as (...args: number[]) => void;
  let helper: HelperThread | undefined;

  function ensureBytes(bytes: number): ArrayBuffer {
    const missing = bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
    return memory.buffer as unknown as ArrayBuffer;
  }

  function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
    const [tokens, n] = x.shape;
    const outFeatures = weight.shape[0];
    const tokenTiles = Math.floor(tokens / 4); // full 4-token tiles
    const tailTokens = tokens - tokenTiles * 4; // 0–3 tokens left for `rows`
    const outputGroups = Math.ceil(outFeatures / 8); // 8-output groups (two 4-output tiles each)
    const paddedOutputs = outputGroups * 8;
    const outputTiles = paddedOutputs / 4;
    // Byte layout: x tiles [tokenTiles][n][4] f64 | x tail [tailTokens][n] f64 | W [paddedOutputs][n] f32
    //              | y tiles [paddedOutputs][4·tokenTiles] f64 | y tail [tailTokens][paddedOutputs] f64
    const xBase = 0;
    const xTailBase = xBase + tokenTiles * n * 32;
    const wBase = xTailBase + tailTokens * n * 8;
    const yBase = wBase + Math.ceil((paddedOutputs * n * 4) / 8) * 8;
    const yTailBase = yBase + paddedOutputs * tokenTiles * 32;
    const buffer = ensureBytes(yTailBase + tailTokens * paddedOutputs * 8);
    const xInMemory = new Float64Array(buffer, xBase, (tokenTiles * 4 + tailTokens) * n);
    const xData = x.data;
    for (let t = 0; t < tokenTiles * 4; t++) {
      const lane = (t >> 2) * n * 4 + (t & 3);
      for (let i = 0; i < n; i++) xInMemory[lane + i * 4] = xData[t * n + i];
    }
    xInMemory.set(xData.subarray(tokenTiles * 4 * n, tokens * n), tokenTiles * 4 * n); // the tail, row by row
    new Float32Array(buffer, wBase, outFeatures * n).set(weight.data.subarray(0, outFeatures * n));

    const wStride = n * 4;
    const yStride = tokenTiles * 32;
    const tileArguments = (first: number, end: number) => [xBase, wBase, yBase, n, wStride, yStride, tokenTiles, first, end];
    const rowArguments = (first: number, end: number) => [xTailBase, wBase, yTailBase, n, wStride, paddedOutputs * 8, tailTokens, first, end];
    if (threads === 2 && outputGroups >= 2 && tokens * n * outFeatures >= minMultiplyAddsToSplit) {
      helper ??= new HelperThread(module!, memory, ['tiles', 'rows']);
      if (tokenTiles > 0) {
        // The helper takes half the tiles; this thread the other half and the tail tokens.
        const half = Math.ceil(outputTiles / 2);
        helper.start('tiles', tileArguments(half, outputTiles));
        tiles(...tileArguments(0, half));
        rows(...rowArguments(0, outputGroups));
      } else {
        const half = Math.ceil(outputGroups / 2);
        helper.start('rows', rowArguments(half, outputGroups));
        rows(...rowArguments(0, half));
      }
      helper.wait();
    } else {
      tiles(...tileArguments(0, outputTiles));
      rows(...rowArguments(0, outputGroups));
    }

    const tileSums = new Float64Array(buffer, yBase, paddedOutputs * tokenTiles * 4);
    const tailSums = new Float64Array(buffer, yTailBase, tailTokens * paddedOutputs);
    const y = zeros([tokens, outFeatures]);
    const bData = bias?.data;
    for (let t = 0; t < tokens; t++) {
      for (let o = 0; o < outFeatures; o++) {
        const sum = t < tokenTiles * 4 ? tileSums[o * tokenTiles * 4 + t] : tailSums[(t - tokenTiles * 4) * paddedOutputs + o];
        y.data[t * outFeatures + o] = bData === undefined ? sum : sum + bData[o]; // one rounding
      }
    }
    return y;
  }

  return {
    ...cpuBackend,
    name: threads === 2 ? 'wasm-simd' : 'wasm-simd-1-thread',
    linear: (x, weight, bias) => linear(host(x), host(weight), bias === undefined ? undefined : host(bias)),
  };
}
