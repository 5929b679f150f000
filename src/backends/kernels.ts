/**
 * The kernel seam: the heavy loops of moe-oracle behind one small interface, so that another backend
 * (gpu.js, WebAssembly SIMD, ...) is one file in `src/backends/` and touches no component.
 * Model: tfjs-core, where an op validates its arguments and then calls `runKernel`, and each backend
 * implements the kernel in a file of its own (`tfjs-backend-cpu/src/kernels/Softmax.ts`).
 *
 *   component (router, experts, moe, attention)     validates at the public boundary, then calls:
 *   Kernels                                         linear, activations, softmax, gather/scatter/combine, ...
 *   cpu backend (src/backends/cpu/*.ts)             the readable reference: float64 accumulation,
 *                                                   one rounding to float32 per output
 *
 * Selection (top-k and its tie rule, and every later selection rule) is not a kernel: it runs in the
 * component, on the CPU, for every backend. It is the specification.
 *
 * Device tensors. A kernel takes and returns `DeviceTensor`s, the backend's own handles: for `cpu` the
 * host Tensor itself, for a GPU backend a texture or buffer that stays on the device between kernels
 * (an expert's three matrix products never come back to the host). `upload` puts a host tensor on
 * the device; `readSync` and `read` bring one back.
 *
 * Synchronous and asynchronous backends. gpu.js's WebGPU kernels finish in a Promise (the readback goes
 * through `mapAsync`); its WebGL, headless-gl and cpu modes, and our cpu backend, do not. So, as
 * tfjs keeps `dataSync()` beside `data()`: every kernel call returns its handle at once (an
 * asynchronous backend's handle stands for work still in flight), and only reading back differs,
 * `readSync` for synchronous backends (it throws on an asynchronous one) and `read` for all. Each
 * component is written once as stages of kernel calls; its synchronous entry (`moeForward`, `route`)
 * joins the stages with `readSync`, its asynchronous twin (`moeForwardAsync`, `routeAsync`) with
 * `await read`. The cpu reference stays plain loops on plain arrays.
 *
 * Shapes are row-major, as in src/tensor/tensor.ts.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../tensor/activations.js';

/** A tensor as a backend holds it. Only its shape is visible outside the backend. */
export interface DeviceTensor {
  readonly shape: readonly number[];
}


export type { Activation };

/** One part of a `scatterRows`: `values` [n, H] goes to rows `rows` (length n) of the result. */
export interface ScatterPart {
  values: DeviceTensor;
  rows: Int32Array;
}

/** The kernels every backend implements. Arguments are already checked by the caller. */
export interface Kernels {
  /** The backend's name, as listed in src/backends/registry.ts. */
  readonly name: string;
  /** True when `readSync` works; false for a backend that can only read back asynchronously. */
  readonly synchronous: boolean;

  /** Host → device. */
  upload(t: Tensor): DeviceTensor;
  /** Device → host, synchronously; throws `MoEOracleError` on an asynchronous backend. */
  readSync(t: DeviceTensor): Tensor;
  /** Device → host. */
  read(t: DeviceTensor): Promise<Tensor>;

  /** y = x·Wᵀ + b.  x [T, in], weight [out, in], bias [out] → [T, out]. */
  linear(x: DeviceTensor, weight: DeviceTensor, bias?: DeviceTensor): DeviceTensor;
  /** Element-wise activation. Any shape. */
  activation(x: DeviceTensor, activation: Activation): DeviceTensor;
  /** silu(gate) ⊙ up, rounded once.  gate [n, I], up [n, I] → [n, I]. */
  siluAndMul(gate: DeviceTensor, up: DeviceTensor): DeviceTensor;
  /**
   * gpt-oss's clamped gate: (clamp(up, ±limit) + 1) · g · σ(alpha·g), g = min(gate, limit), rounded once.
   * gate [n, I], up [n, I] → [n, I].
   */
  clampedSwiGLU(gate: DeviceTensor, up: DeviceTensor, options: { alpha: number; limit: number }): DeviceTensor;
  /** Row-wise softmax, max-subtracted; −Infinity entries get 0.  z [R, C] → [R, C]. */
  softmax(z: DeviceTensor): DeviceTensor;
  /** Row-wise log-sum-exp, max-subtracted.  z [R, C] → [R]. */
  logSumExp(z: DeviceTensor): DeviceTensor;
  /** RMSNorm: x / √(mean(x²) + eps) · weight.  x [T, H], weight [H] → [T, H]. */
  rmsNorm(x: DeviceTensor, weight: DeviceTensor, eps: number): DeviceTensor;
  /** Gathers rows: x [T, H], rows (each in [0, T)) → [rows.length, H]. */
  gatherRows(x: DeviceTensor, rows: Int32Array): DeviceTensor;
  /** Writes each part's rows into a [rowCount, H] result (rows no part writes are 0). */
  scatterRows(parts: readonly ScatterPart[], rowCount: number, hidden: number): DeviceTensor;
  /**
   * y[t, h] = Σ_j weights[t, j] · slotOutputs[t·k + j, h] (+ sharedGate[t] · shared[t, h]), summed in
   * that order.  weights [T, k], slotOutputs [T·k, H], shared [T, H], sharedGate [T, 1] → [T, H].
   */
  combine(weights: DeviceTensor, slotOutputs: DeviceTensor, shared?: { output: DeviceTensor; gate: DeviceTensor }): DeviceTensor;
  /**
   * Batched matrix product over a leading batch axis (attention heads).
   * a [B, M, K], b [Bb, K, N] → [B, M, N]; with `transposeB`, b [Bb, N, K] (so a·bᵀ, like `linear`).
   * Bb divides B and batch i of a meets batch ⌊i / (B / Bb)⌋ of b: Bb = B is one matrix per head,
   * Bb < B shares one key/value head among B / Bb query heads (GQA, MQA, MLA's latent).
   */
  batchedMatmul(a: DeviceTensor, b: DeviceTensor, options?: { transposeB?: boolean }): DeviceTensor;
  /**
   * Scaled, causally masked softmax over the last axis: p[b, i, j] = softmax_j(scale · s[b, i, j]) over
   * the keys j ≤ i + causalOffset (the rest get exactly 0); no mask when causalOffset is undefined.
   * scores [B, M, N] → [B, M, N].
   */
  maskedSoftmax(scores: DeviceTensor, options: { scale: number; causalOffset?: number }): DeviceTensor;
  /**
   * Columns to heads: x [T, C] → [heads, T, width], element (h, t, j) = x[t, start + h·stride + j].
   * With heads = 1 it cuts a column block (an MLA latent out of `kv_a_proj_with_mqa`'s output).
   */
  splitHeads(x: DeviceTensor, heads: number, columns: { start: number; width: number; stride: number }): DeviceTensor;
  /** Heads to columns: x [B, T, d] → [T, B·d], element (t, b·d + j) = x[b, t, j] (inverse of splitHeads). */
  mergeHeads(x: DeviceTensor): DeviceTensor;
  /**
   * Concatenation along the last axis. Rank 2: parts [M, K_i] → [M, ΣK_i]. Rank 3: parts [B_i, M, K_i]
   * with B_i = B or 1 (a part of batch 1 is repeated for every batch entry) → [B, M, ΣK_i].
   */
  concatLastAxis(parts: readonly DeviceTensor[]): DeviceTensor;
  /**
   * Rotary position embedding (src/attention/rope.ts has the formulas and layouts): x [B, T, d] with d
   * even, each pair of features rotated by the angle positions[t] · inverseFrequencies[i], the result
   * times attentionFactor.  positions [T], inverseFrequencies [d/2] (float64) → [B, T, d].
   */
  rope(x: DeviceTensor, rotation: RopeRotation): DeviceTensor;
}

/** Which features a rotary embedding pairs, and where it writes them (src/attention/rope.ts). */
export type RopeLayout = 'interleaved' | 'half' | 'hf-interleave';

/** The arguments of the `rope` kernel, beside its input. */
export interface RopeRotation {
  /** Absolute position of each of the T rows. */
  positions: Int32Array;
  /** θ_i, i < d/2, in float64 (src/attention/rope.ts: the default and YaRN formulas). */
  inverseFrequencies: Float64Array;
  /** Multiplies cos and sin (Hugging Face's YaRN `attention_scaling`; 1 otherwise). */
  attentionFactor: number;
  layout: RopeLayout;
}
