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

/** "[2, 3]" */
export function formatShape(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '*' : String(d))).join(', ')}]`;
}

function checkShapeArgument(argument: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new MoEOracleError(argument, 'non-negative integer dimensions', formatShape(shape));
  }
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Wraps (or copies, for a plain array) float32 data as a tensor of the given shape. */
export function tensor(data: Float32Array | readonly number[], shape: readonly number[]): Tensor {
  checkShapeArgument('shape', shape);
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  if (values.length !== sizeOf(shape)) {
    throw new MoEOracleError('data', `${sizeOf(shape)} elements for shape ${formatShape(shape)}`, `${values.length}`);
  }
  return ndarray(values, [...shape]);
}

/** Wraps int32 data as a tensor of the given shape. */
export function intTensor(data: Int32Array | readonly number[], shape: readonly number[]): IntTensor {
  checkShapeArgument('shape', shape);
  const values = data instanceof Int32Array ? data : Int32Array.from(data);
  if (values.length !== sizeOf(shape)) {
    throw new MoEOracleError('data', `${sizeOf(shape)} elements for shape ${formatShape(shape)}`, `${values.length}`);
  }
  return ndarray(values, [...shape]);
}

/** A float32 tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  checkShapeArgument('shape', shape);
  return ndarray(new Float32Array(sizeOf(shape)), [...shape]);
}

/** An int32 tensor of zeros. */
export function intZeros(shape: readonly number[]): IntTensor {
  checkShapeArgument('shape', shape);
  return ndarray(new Int32Array(sizeOf(shape)), [...shape]);
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
  return isContiguous(t) ? t : clone(t);
}

/** Contiguous copy of a tensor. */
export function clone<T extends Tensor | IntTensor>(t: T): T {
  const data = t.data instanceof Int32Array ? new Int32Array(t.size) : new Float32Array(t.size);
  const copy = ndarray<Float32Array | Int32Array>(data, [...t.shape]);
  ops.assign(copy as Tensor, t as Tensor);
  return copy as T;
}

/** Reshapes a tensor (copying first if it is a non-contiguous view). */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const c = contiguous(t);
  if (sizeOf(shape) !== c.size) {
    throw new MoEOracleError('shape', `${c.size} elements (reshape of ${formatShape(c.shape)})`, formatShape(shape));
  }
  return ndarray(c.data, [...shape]);
}

/** Throws unless `value` is an ndarray of the wanted element type. */
export function checkTensor(argument: string, value: unknown, kind: 'float32' | 'int32' = 'float32'): void {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    'shape' in value &&
    (kind === 'float32' ? (value as Tensor).data instanceof Float32Array : (value as IntTensor).data instanceof Int32Array);
  if (!ok) throw new MoEOracleError(argument, `${kind === 'int32' ? 'an' : 'a'} ${kind} tensor (ndarray over a ${kind === 'float32' ? 'Float32Array' : 'Int32Array'})`, describe(value));
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
