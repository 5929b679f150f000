/**
 * The `gpujs` backend: every kernel of the seam (src/backends/kernels.ts) as gpu.js kernels, on a
 * `GPU` object the caller makes (`new GPU({ mode })` from the `gpu.js` package), so it runs wherever
 * gpu.js runs:
 *
 *   mode          where                           kernels finish        this backend is
 *   headlessgl    Node, with the `gl` package     at once (readPixels)  synchronous
 *   webgl2/webgl  a browser                       at once               synchronous
 *   webgpu        a browser with navigator.gpu    in a Promise          asynchronous (moeForwardAsync, routeAsync)
 *   cpu           anywhere (gpu.js's JS fallback)  at once               synchronous; not GPU verification
 *
 * Numerics: float32 storage and float32 arithmetic, each reduction accumulated in float32 in index
 * order within one GPU thread, the GPU's own exp/log/sqrt. Not bit-identical to `cpu` (float64
 * accumulation, one rounding): it agrees within the tolerance model of `verify` (README, "gpu.js
 * backend").
 *
 * Device tensors. A `GpujsTensor` holds its values on the host between kernels: each kernel call
 * uploads its arguments, runs, and reads its result back (a Float32Array on a synchronous mode, a
 * Promise of one on webgpu). Simple and correct first: a chain of kernels does not stay on the device
 * (gpu.js's `pipeline: true` textures would keep it there; the benchmark in bench/gpujs.bench.ts shows
 * what the round trips cost). On webgpu, kernel calls run one after another in call order (one
 * queue), each after its inputs have arrived.
 *
 * Each kernel file of this folder (linear.ts, elementwise.ts, softmax.ts, rmsnorm.ts,
 * gather-combine.ts, heads.ts) holds the gpu.js kernel functions beside the cpu loop they mirror;
 * validate.ts checks each kernel against its cpu loop (llm.c's dev/cuda pattern).
 */
import { MoEOracleError } from '../../tensor/errors.js';
import { contiguous, tensor, type Tensor } from '../../tensor/tensor.js';
import type { Activation, DeviceTensor, Kernels, RopeLayout } from '../kernels.js';
import { CLAMPED_SWIGLU_TYPES, clampedSwiGLUKernel, ELEMENTWISE_TYPES, geluKernel, geluTanhKernel, reluKernel, sigmoidKernel, siluAndMulKernel, siluKernel, SILU_AND_MUL_TYPES } from './elementwise.js';
import { COMBINE_SHARED_TYPES, COMBINE_TYPES, combineKernel, combineSharedKernel, GATHER_TYPES, gatherRowsKernel, SCATTER_TYPES, scatterRowsKernel } from './gather-combine.js';
import { CONCAT_TWO_TYPES, concatTwoKernel, MERGE_HEADS_TYPES, mergeHeadsKernel, ROPE_TYPES, ropeKernel, SPLIT_HEADS_TYPES, splitHeadsKernel } from './heads.js';
import { LINEAR_BIAS_TYPES, LINEAR_TYPES, linearBiasKernel, linearKernel, MATMUL_TYPES, matmulKernel, matmulTransposedKernel } from './linear.js';
import { RMS_NORMALIZE_TYPES, rmsNormalizeKernel, SUM_OF_SQUARES_TYPES, sumOfSquaresKernel } from './rmsnorm.js';
import { checkLoopLength, KernelRunner, type ArgumentTypes, type GpuLike } from './runtime.js';
import { LOG_SUM_EXP_TYPES, logSumExpKernel, NORMALIZE_TYPES, ROW_MAX_TYPES, ROW_SUM_TYPES, rowMaxKernel, rowSumExpKernel, softmaxNormalizeKernel } from './softmax.js';

/** A tensor of the gpujs backend: its shape, and its values (arrived, or on their way on webgpu). */
export class GpujsTensor implements DeviceTensor {
  constructor(
    readonly shape: readonly number[],
    readonly values: Float32Array | Promise<Float32Array>,
  ) {}
}

const ROPE_LAYOUTS: Record<RopeLayout, number> = { interleaved: 0, half: 1, 'hf-interleave': 2 };

const ACTIVATION_KERNELS: Record<Activation, Function> = {
  sigmoid: sigmoidKernel, silu: siluKernel, relu: reluKernel, gelu: geluKernel, 'gelu-tanh': geluTanhKernel,
};

/** A kernel function, its argument types, and where its inputs come from. */
interface KernelCall {
  fn: Function;
  types: ArgumentTypes;
  /** Tensor arguments first (in the function's parameter order), then the numbers. */
  tensors: DeviceTensor[];
  numbers: number[];
}

/** The gpujs backend's own methods, beyond `Kernels`. */
export interface GpujsKernels extends Kernels {
  /** gpu.js's mode ('headlessgl', 'webgl2', 'webgl', 'webgpu', 'cpu'). */
  readonly mode: string;
  /** Frees the compiled kernels (the `GPU` object is the caller's to destroy). */
  destroy(): void;
}

/**
 * Makes the gpujs backend on a gpu.js `GPU` object (`new GPU({ mode: 'headlessgl' })` in Node,
 * `'webgl2'`, `'webgl'` or `'webgpu'` in a page). Synchronous except on `webgpu`.
 */
export function createGpujsBackend(gpu: GpuLike): GpujsKernels {
  if (typeof gpu !== 'object' || gpu === null || typeof gpu.createKernel !== 'function') {
    throw new MoEOracleError('gpu', "a gpu.js GPU object (new GPU({ mode: 'headlessgl' }))", String(gpu));
  }
  const mode = String(gpu.mode ?? 'unknown');
  if (mode === 'async') throw new MoEOracleError('gpu.mode', "a fixed mode ('headlessgl', 'webgl2', 'webgl', 'webgpu', 'cpu')", "'async'");
  const synchronous = mode !== 'webgpu';
  const runner = new KernelRunner(gpu);
  const name = `gpujs-${mode}`;
  let queue: Promise<unknown> = Promise.resolve();

  const valuesOf = (t: DeviceTensor) => (t as GpujsTensor).values;

  /** One gpu.js kernel over the elements of `shape`. */
  function run(shape: readonly number[], call: KernelCall): GpujsTensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (synchronous) {
      const result = runner.run(call.fn, call.types, n, [...call.tensors.map(valuesOf), ...call.numbers]);
      if (result instanceof Promise) throw new MoEOracleError('gpu.mode', 'a synchronous gpu.js mode', `kernels that return Promises in mode '${mode}'`);
      return new GpujsTensor(shape, result);
    }
    const values = Promise.all(call.tensors.map(valuesOf)).then((arrays) => {
      const result = queue.then(() => runner.run(call.fn, call.types, n, [...arrays, ...call.numbers]));
      queue = result.catch(() => undefined);
      return result;
    });
    return new GpujsTensor(shape, values);
  }

  /** A host step on arrived values (laying scatter parts end to end). */
  function onHost(shape: readonly number[], inputs: DeviceTensor[], compute: (arrays: Float32Array[]) => Float32Array): GpujsTensor {
    if (synchronous) return new GpujsTensor(shape, compute(inputs.map(valuesOf) as Float32Array[]));
    return new GpujsTensor(shape, Promise.all(inputs.map(valuesOf)).then(compute));
  }

  /** The three softmax passes over rows of `columns` (see softmax.ts). */
  function rowStatistics(scores: DeviceTensor, rows: number, rowsPerBatch: number, columns: number, scale: number, causalOffset: number) {
    checkLoopLength('columns', columns);
    const numbers = [rowsPerBatch, columns, scale, causalOffset];
    const max = run([rows], { fn: rowMaxKernel, types: ROW_MAX_TYPES, tensors: [scores], numbers });
    const sum = run([rows], { fn: rowSumExpKernel, types: ROW_SUM_TYPES, tensors: [scores, max], numbers });
    return { max, sum, numbers };
  }

  function maskedSoftmax(scores: DeviceTensor, scale: number, causalOffset: number | undefined): GpujsTensor {
    const [batches, rows, columns] = scores.shape.length === 3 ? scores.shape : [1, ...scores.shape];
    const offset = causalOffset === undefined ? columns : causalOffset; // no mask: every column visible
    const { max, sum, numbers } = rowStatistics(scores, batches * rows, rows, columns, scale, offset);
    return run(scores.shape, { fn: softmaxNormalizeKernel, types: NORMALIZE_TYPES, tensors: [scores, max, sum], numbers });
  }

  return {
    name,
    mode,
    synchronous,
    upload: (t: Tensor) => {
      const values = Float32Array.from(contiguous(t).data);
      return new GpujsTensor(t.shape, synchronous ? values : Promise.resolve(values));
    },
    readSync: (t) => {
      const values = valuesOf(t);
      if (values instanceof Promise) throw new MoEOracleError('readSync', 'a synchronous backend (use the async entries, e.g. moeForwardAsync)', `the asynchronous '${name}'`);
      return tensor(Float32Array.from(values), t.shape);
    },
    read: async (t) => tensor(Float32Array.from(await valuesOf(t)), t.shape),
    linear: (x, weight, bias) => {
      const [tokens, inFeatures] = x.shape;
      const outFeatures = weight.shape[0];
      checkLoopLength('x.shape[1]', inFeatures);
      return bias === undefined
        ? run([tokens, outFeatures], { fn: linearKernel, types: LINEAR_TYPES, tensors: [x, weight], numbers: [inFeatures, outFeatures] })
        : run([tokens, outFeatures], { fn: linearBiasKernel, types: LINEAR_BIAS_TYPES, tensors: [x, weight, bias], numbers: [inFeatures, outFeatures] });
    },
    activation: (x, activation) => run(x.shape, { fn: ACTIVATION_KERNELS[activation], types: ELEMENTWISE_TYPES, tensors: [x], numbers: [] }),
    siluAndMul: (gate, up) => run(gate.shape, { fn: siluAndMulKernel, types: SILU_AND_MUL_TYPES, tensors: [gate, up], numbers: [] }),
    softmax: (z) => maskedSoftmax(z, 1, undefined),
    logSumExp: (z) => {
      const [rows, columns] = z.shape;
      const { max, sum } = rowStatistics(z, rows, rows, columns, 1, columns);
      return run([rows], { fn: logSumExpKernel, types: LOG_SUM_EXP_TYPES, tensors: [max, sum], numbers: [] });
    },
    rmsNorm: (x, weight, eps) => {
      const [tokens, hidden] = x.shape;
      checkLoopLength('x.shape[1]', hidden);
      const sumOfSquares = run([tokens], { fn: sumOfSquaresKernel, types: SUM_OF_SQUARES_TYPES, tensors: [x], numbers: [hidden] });
      return run(x.shape, { fn: rmsNormalizeKernel, types: RMS_NORMALIZE_TYPES, tensors: [x, weight, sumOfSquares], numbers: [hidden, eps] });
    },
    gatherRows: (x, rows) => {
      const hidden = x.shape[1];
      const rowTensor = new GpujsTensor([rows.length], synchronous ? Float32Array.from(rows) : Promise.resolve(Float32Array.from(rows)));
      return run([rows.length, hidden], { fn: gatherRowsKernel, types: GATHER_TYPES, tensors: [x, rowTensor], numbers: [hidden] });
    },
    scatterRows: (parts, rowCount, hidden) => {
      // source[row] = which row of the parts laid end to end lands in output row `row` (−1: none).
      const source = new Float32Array(rowCount).fill(-1);
      let offset = 0;
      for (const part of parts) {
        for (let r = 0; r < part.rows.length; r++) source[part.rows[r]] = offset + r;
        offset += part.rows.length;
      }
      const values = onHost([Math.max(offset, 1), hidden], parts.map((p) => p.values), (arrays) => {
        const joined = new Float32Array(Math.max(offset, 1) * hidden);
        let at = 0;
        for (const array of arrays) {
          joined.set(array, at);
          at += array.length;
        }
        return joined;
      });
      const sourceTensor = new GpujsTensor([rowCount], synchronous ? source : Promise.resolve(source));
      return run([rowCount, hidden], { fn: scatterRowsKernel, types: SCATTER_TYPES, tensors: [values, sourceTensor], numbers: [hidden] });
    },
    combine: (weights, slotOutputs, shared) => {
      const [tokens, k] = weights.shape;
      const hidden = slotOutputs.shape[1];
      return shared === undefined
        ? run([tokens, hidden], { fn: combineKernel, types: COMBINE_TYPES, tensors: [weights, slotOutputs], numbers: [k, hidden] })
        : run([tokens, hidden], { fn: combineSharedKernel, types: COMBINE_SHARED_TYPES, tensors: [weights, slotOutputs, shared.output, shared.gate], numbers: [k, hidden] });
    },
    batchedMatmul: (a, b, options) => {
      const [batches, rows, inner] = a.shape;
      const transposeB = options?.transposeB ?? false;
      const columns = transposeB ? b.shape[1] : b.shape[2];
      checkLoopLength('a.shape[2]', inner);
      const group = batches / b.shape[0]; // query heads per key/value head
      return run([batches, rows, columns], { fn: transposeB ? matmulTransposedKernel : matmulKernel, types: MATMUL_TYPES, tensors: [a, b], numbers: [rows, inner, columns, group] });
    },
    clampedSwiGLU: (gate, up, options) => run(gate.shape, { fn: clampedSwiGLUKernel, types: CLAMPED_SWIGLU_TYPES, tensors: [gate, up], numbers: [options.alpha, options.limit] }),
    splitHeads: (x, heads, columns) => {
      const [tokens, columnsIn] = x.shape;
      return run([heads, tokens, columns.width], { fn: splitHeadsKernel, types: SPLIT_HEADS_TYPES, tensors: [x], numbers: [tokens, columnsIn, columns.width, columns.start, columns.stride] });
    },
    mergeHeads: (x) => {
      const [heads, tokens, width] = x.shape;
      return run([tokens, heads * width], { fn: mergeHeadsKernel, types: MERGE_HEADS_TYPES, tensors: [x], numbers: [heads, tokens, width] });
    },
    concatLastAxis: (parts) => {
      const rank = parts[0].shape.length;
      const batchesOf = (t: DeviceTensor) => (rank === 3 ? t.shape[0] : 1);
      const rows = parts[0].shape[rank - 2];
      let joined = parts[0];
      for (const part of parts.slice(1)) {
        const [widthA, widthB] = [joined.shape[rank - 1], part.shape[rank - 1]];
        const batches = Math.max(batchesOf(joined), batchesOf(part));
        const shape = rank === 3 ? [batches, rows, widthA + widthB] : [rows, widthA + widthB];
        joined = run(shape, { fn: concatTwoKernel, types: CONCAT_TWO_TYPES, tensors: [joined, part], numbers: [batchesOf(joined), batchesOf(part), rows, widthA, widthB] });
      }
      return parts.length === 1 ? run(joined.shape, { fn: concatTwoKernel, types: CONCAT_TWO_TYPES, tensors: [joined, joined], numbers: [batchesOf(joined), batchesOf(joined), rows, joined.shape[rank - 1], 0] }) : joined;
    },
    rope: (x, rotation) => {
      const [, tokens, width] = x.shape;
      const half = width / 2;
      // cos and sin of positions[t]·θ_i in float64, times the attention factor, as the cpu loop (src/backends/cpu/rope.ts).
      const cosTable = new Float32Array(tokens * half);
      const sinTable = new Float32Array(tokens * half);
      for (let t = 0; t < tokens; t++) {
        for (let i = 0; i < half; i++) {
          const angle = rotation.positions[t] * rotation.inverseFrequencies[i];
          cosTable[t * half + i] = Math.cos(angle) * rotation.attentionFactor;
          sinTable[t * half + i] = Math.sin(angle) * rotation.attentionFactor;
        }
      }
      const onDevice = (table: Float32Array) => new GpujsTensor([tokens, half], synchronous ? table : Promise.resolve(table));
      return run(x.shape, { fn: ropeKernel, types: ROPE_TYPES, tensors: [x, onDevice(cosTable), onDevice(sinTable)], numbers: [tokens, width, ROPE_LAYOUTS[rotation.layout]] });
    },
    maskedSoftmax: (scores, options) => maskedSoftmax(scores, options.scale, options.causalOffset),
    destroy: () => runner.destroy(),
  };
}
