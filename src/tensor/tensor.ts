/**
 * Float32 tensors: ndarray views over a Float32Array (or Int32Array for indices), with the shape
 * checks every component runs at its boundary.
 *
 * Layout: row-major ("C order"), like PyTorch and NumPy. A tensor of shape [T, H] stores element
 * (t, h) at data[offset + t·stride[0] + h·stride[1]]; tensors this library creates are contiguous
 * (stride [H, 1], offset 0). Functions that read raw `data` first call `contiguous()`, so views made
 * with ndarray's `pick`, `lo`, `hi`, `transpose` are accepted anywhere.
 */
import ndarray, { type NdArray } from 'ndarray';
import ops from 'ndarray-ops';
import { MoEOracleError, describe } from './errors.js';

/** A float32 tensor. */
export type Tensor = NdArray<Float32Array>;
/** An int32 tensor (expert indices, token counts). */
export type IntTensor = NdArray<Int32Array>;

/** The largest finite float32, 2^128 − 2^104. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The most elements a tensor may have: 2^31 − 1, the typed-array length limit of older engines and
 * of 32-bit ones (Node 20 on 64-bit allows more), so a shape that passes fits an Int32 index too.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** "[2, 3]"; anything that is not an array is described as a value (this runs inside error messages). */
export function formatShape(shape: readonly (number | string | null)[]): string {
  if (!Array.isArray(shape)) return describe(shape);
  return `[${shape.map((d) => (d === null ? '*' : typeof d === 'number' || typeof d === 'string' ? String(d) : describe(d))).join(', ')}]`;
}

/**
 * Throws unless `shape` is an array of non-negative integers whose element count is at most
 * MAX_TENSOR_ELEMENTS; returns that count.
 */
function checkedSizeOf(argument: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new MoEOracleError(argument, 'an array of non-negative integer dimensions', describe(shape));
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new MoEOracleError(argument, 'non-negative integer dimensions', formatShape(shape));
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS) {
    throw new MoEOracleError(argument, `at most 2^31 − 1 = ${MAX_TENSOR_ELEMENTS} elements`, `${formatShape(shape)} (${n} elements)`);
  }
  return n;
}

/** Number of elements of a shape (an array of non-negative integers, at most 2^31 − 1 elements). */
export function sizeOf(shape: readonly number[]): number {
  return checkedSizeOf('shape', shape);
}

/** Wraps (or copies, for a plain array) float32 data as a tensor of the given shape. */
export function tensor(data: Float32Array | readonly number[], shape: readonly number[]): Tensor {
  const size = checkedSizeOf('shape', shape);
  checkData('data', data, Float32Array, size, shape);
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  if (values.length !== size) {
    throw new MoEOracleError('data', `${size} elements for shape ${formatShape(shape)}`, `${values.length}`);
  }
  return ndarray(values, [...shape]);
}

/** Wraps int32 data as a tensor of the given shape. */
export function intTensor(data: Int32Array | readonly number[], shape: readonly number[]): IntTensor {
  const size = checkedSizeOf('shape', shape);
  checkData('data', data, Int32Array, size, shape);
  const values = data instanceof Int32Array ? data : Int32Array.from(data);
  if (values.length !== size) {
    throw new MoEOracleError('data', `${size} elements for shape ${formatShape(shape)}`, `${values.length}`);
  }
  return ndarray(values, [...shape]);
}

/**
 * Throws unless `data` is the typed array itself, another numeric typed array or an array (both
 * converted by the caller); the caller compares the length with the shape's size.
 */
function checkData(argument: string, data: unknown, type: Float32ArrayConstructor | Int32ArrayConstructor, size: number, shape: readonly number[]): void {
  const numericView = ArrayBuffer.isView(data) && !(data instanceof DataView) && !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array);
  if (numericView || Array.isArray(data)) return;
  throw new MoEOracleError(argument, `a ${type.name} or an array of ${size} numbers for shape ${formatShape(shape)}`, describe(data));
}

/** A float32 tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  return ndarray(new Float32Array(checkedSizeOf('shape', shape)), [...shape]);
}

/** An int32 tensor of zeros. */
export function intZeros(shape: readonly number[]): IntTensor {
  return ndarray(new Int32Array(checkedSizeOf('shape', shape)), [...shape]);
}

/** True when `t` is row-major with offset 0 and exactly covers its data array. */
export function isContiguous(t: NdArray<Float32Array | Int32Array>): boolean {
  if (t.offset !== 0 || t.data.length !== t.size) return false;
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

/** Returns `t` itself when contiguous, else a contiguous copy (ndarray-ops `assign`). */
export function contiguous<T extends Tensor | IntTensor>(t: T): T {
  checkTensor('t', t, 'float32 or int32');
  return isContiguous(t) ? t : clone(t);
}

/** Contiguous copy of a tensor. */
export function clone<T extends Tensor | IntTensor>(t: T): T {
  checkTensor('t', t, 'float32 or int32');
  const data = t.data instanceof Int32Array ? new Int32Array(t.size) : new Float32Array(t.size);
  const copy = ndarray<Float32Array | Int32Array>(data, [...t.shape]);
  ops.assign(copy as Tensor, t as Tensor);
  return copy as T;
}

/** Reshapes a tensor (copying first if it is a non-contiguous view). */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  checkTensor('t', t);
  const size = checkedSizeOf('shape', shape);
  const c = contiguous(t);
  if (size !== c.size) {
    throw new MoEOracleError('shape', `${c.size} elements (reshape of ${formatShape(c.shape)})`, formatShape(shape));
  }
  return ndarray(c.data, [...shape]);
}

const TENSOR_KINDS = {
  float32: 'a float32 tensor (ndarray over a Float32Array)',
  int32: 'an int32 tensor (ndarray over an Int32Array)',
  'float32 or int32': 'a tensor (ndarray over a Float32Array or an Int32Array)',
} as const;

/**
 * Throws unless `value` is an ndarray of the wanted element type whose elements all lie inside its
 * data: an object made by `ndarray` (its `dtype` and methods, not only `data` and `shape`), with a
 * shape of non-negative integers, one integer stride per dimension, a non-negative integer offset,
 * at most MAX_TENSOR_ELEMENTS elements, and every index it can reach inside `data`. Views made with
 * `pick`, `lo`, `hi`, `step`, `transpose` pass. O(rank): no element is read.
 */
export function checkTensor(argument: string, value: unknown, kind: keyof typeof TENSOR_KINDS = 'float32'): void {
  const t = value as Partial<Tensor | IntTensor> | null;
  const data = typeof t === 'object' && t !== null ? t.data : undefined;
  const dtype = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : undefined;
  const ok = dtype !== undefined && (kind === dtype || kind === 'float32 or int32') && t!.dtype === dtype && typeof t!.pick === 'function';
  if (!ok) throw new MoEOracleError(argument, TENSOR_KINDS[kind], describe(value));
  const problem = layoutProblem(t as Tensor | IntTensor);
  if (problem !== undefined) throw new MoEOracleError(argument, 'a tensor whose shape, stride and offset stay inside its data', problem);
}

/** What is wrong with a tensor's shape / stride / offset (as a reader would follow them), or undefined. */
function layoutProblem(t: Tensor | IntTensor): string | undefined {
  const { shape, stride, offset, data } = t;
  if (!Array.isArray(shape)) return `shape ${describe(shape)}`;
  if (!Array.isArray(stride) || stride.length !== shape.length) return `stride ${describe(stride)} for shape ${formatShape(shape)}`;
  if (!Number.isInteger(offset) || offset < 0) return `offset ${describe(offset)}`;
  let size = 1;
  let first = offset;
  let last = offset;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    const step = stride[d];
    if (!Number.isInteger(n) || n < 0) return `shape ${formatShape(shape)}`;
    if (!Number.isInteger(step)) return `stride ${formatShape(stride)} for shape ${formatShape(shape)}`;
    size *= n;
    if (step < 0) first += step * (n - 1);
    else last += step * (n - 1);
  }
  if (size > MAX_TENSOR_ELEMENTS) return `shape ${formatShape(shape)} (${size} elements, more than 2^31 − 1)`;
  if (size > 0 && (first < 0 || last >= data.length)) {
    return `shape ${formatShape(shape)}, stride ${formatShape(stride)}, offset ${offset} reading data[${first}..${last}] of a ${data.length}-element array`;
  }
  return undefined;
}

/**
 * Checks rank and dimensions. `expected` holds a number for a fixed size, `null` for "any size",
 * or a string for a named size that must be positive (used only in the message).
 * Empty tensors (a zero dimension) are rejected unless `allowEmpty` is set.
 */
export function checkShape(
  argument: string,
  t: Tensor | IntTensor,
  expected: readonly (number | string | null)[],
  options: { allowEmpty?: boolean; kind?: 'float32' | 'int32' } = {},
): void {
  checkTensor(argument, t, options.kind ?? 'float32');
  const wrongRank = t.shape.length !== expected.length;
  const wrongDim = !wrongRank && expected.some((d, i) => typeof d === 'number' && t.shape[i] !== d);
  if (wrongRank || wrongDim) {
    throw new MoEOracleError(argument, `shape ${formatShape(expected)}`, formatShape(t.shape));
  }
  if (!options.allowEmpty && t.shape.some((d) => d === 0)) {
    throw new MoEOracleError(argument, `a non-empty tensor of shape ${formatShape(expected)}`, `empty shape ${formatShape(t.shape)}`);
  }
}

/**
 * Rejects NaN and ±Infinity (or only NaN and +Infinity when `allowNegativeInfinity`, for masked
 * logits). Names the first offending element.
 */
export function checkFinite(argument: string, t: Tensor, options: { allowNegativeInfinity?: boolean } = {}): void {
  checkTensor(argument, t);
  const c = contiguous(t);
  const i = firstNonFinite(c.data, options.allowNegativeInfinity ?? false);
  if (i < 0) return;
  throw new MoEOracleError(
    argument,
    options.allowNegativeInfinity ? 'values that are finite or -Infinity' : 'finite values',
    `${describe(c.data[i])} at index ${formatShape(unravelIndex(i, c.shape))}`,
  );
}

/** Index of the first NaN or ±Infinity (−Infinity allowed when asked), or −1. */
export function firstNonFinite(data: Float32Array, allowNegativeInfinity: boolean): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v) || (allowNegativeInfinity && v === -Infinity)) continue;
    return i;
  }
  return -1;
}

/** Multi-index of flat position `flat` in a row-major array of shape `shape`. */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

/** Plain nested arrays, for printing and tests. */
export function toNested(t: Tensor | IntTensor): unknown {
  checkTensor('t', t, 'float32 or int32');
  const c = contiguous(t);
  const build = (dim: number, offset: number): unknown => {
    if (dim === c.shape.length) return c.data[offset];
    const inner = sizeOf(c.shape.slice(dim + 1));
    return Array.from({ length: c.shape[dim] }, (_, i) => build(dim + 1, offset + i * inner));
  };
  return build(0, 0);
}

/**
 * Overflow guard for what a component produced from finite inputs: the reference never hands out a
 * NaN or ±Infinity it was not given. Throws naming the component, the tensor and the first index.
 * `allowNegativeInfinity` for outputs where −Infinity is a legitimate value (masked scores).
 */
export function checkProducedFinite(component: string, tensorName: string, t: Tensor, options: { allowNegativeInfinity?: boolean } = {}): void {
  const c = contiguous(t);
  const i = firstNonFinite(c.data, options.allowNegativeInfinity ?? false);
  if (i < 0) return;
  throw new MoEOracleError(
    `${component}: ${tensorName}`,
    'finite values (every input was finite, so the computation overflowed float32 or divided 0 by 0)',
    `${describe(c.data[i])} at index ${formatShape(unravelIndex(i, c.shape))}`,
  );
}
