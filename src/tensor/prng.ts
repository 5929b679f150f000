/**
 * Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011), the generator behind PyTorch's CUDA RNG and JAX's `threefry` sibling.
 *
 * Every random tensor in moe-oracle is a pure function of (seed, tensor name, element index), so any
 * element of any tensor can be produced on its own, in any order: expert 17 of a 256-expert layer
 * without the other 255. The recipe, written so that another language reproduces it bit for bit:
 *
 *   key      = [seed as uint32, FNV-1a-32(UTF-8 bytes of the tensor name)]
 *   counter  = [i mod 2^32, floor(i / 2^32), 0, 0]      for the element at row-major flat index i
 *   [x0, x1, x2, x3] = Philox4x32-10(counter, key)      (Random123 constants and round function)
 *
 *   uniform in [low, high):  u = (x0 >>> 8) · 2^-24                   (exact, in [0, 1 − 2^-24])
 *                            value = float32(low + (high − low) · u)   (computed in float64)
 *   normal(mean, std):       u1 = ((x0 >>> 8) + 1) · 2^-24            (in (0, 1], so log(u1) is finite)
 *                            u2 = (x1 >>> 8) · 2^-24
 *                            z  = sqrt(−2 · ln u1) · cos(2π · u2)      (Box–Muller, cosine branch only)
 *                            value = float32(mean + std · z)          (computed in float64)
 *
 * The uniform draw uses only IEEE-754 float64 multiply and add, so it is bit-exact in any language.
 * The normal draw also uses `Math.log` and `Math.cos`; those are faithful but not correctly rounded,
 * so another libm can differ in the last bit of the float64 value, which changes the float32 result
 * only in the rare case that the float64 value lies within one float64 ulp of a float32 rounding
 * boundary. Golden files store every generated tensor, so consumers never need to regenerate them.
 */
import { checkInteger, checkFiniteNumber, checkObject, describe, MoEOracleError } from './errors.js';
import { tensor, sizeOf, type Tensor } from './tensor.js';
import { fillUniformWasm } from '../backends/wasm-simd/philox-kernel.js';

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const TWO_POW_MINUS_24 = 1 / 16777216;

/** High 32 bits of the 64-bit product of two uint32 values (exact, schoolbook on 16-bit halves). */
function mulHi32(a: number, b: number): number {
  const aLow = a & 0xffff;
  const aHigh = a >>> 16;
  const bLow = b & 0xffff;
  const bHigh = b >>> 16;
  const lowLow = aLow * bLow; // each partial product < 2^32, exact
  const lowHigh = aLow * bHigh;
  const highLow = aHigh * bLow;
  const middle = (lowLow >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff); // carry into the high word
  return (aHigh * bHigh + (lowHigh >>> 16) + (highLow >>> 16) + (middle >>> 16)) >>> 0;
}

// The Philox multipliers split into 16-bit halves, for the fast high-word product below.
const M0_HIGH = PHILOX_M0 >>> 16, M0_LOW = PHILOX_M0 & 0xffff;
const M1_HIGH = PHILOX_M1 >>> 16, M1_LOW = PHILOX_M1 & 0xffff;

/**
 * ⌊(mHigh·2^16 + mLow) · c / 2^32⌋ for uint32 c: the same value as `mulHi32`, with two float64
 * products instead of four 32-bit ones. c·mLow < 2^48 and c·mHigh < 2^48 are exact in float64, and
 * ⌊(c·mHigh + ⌊c·mLow / 2^16⌋) / 2^16⌋ drops only a fraction below 1 that cannot carry (the sum
 * inside is an integer below 2^49, also exact). Checked against `mulHi32` in
 * spec/tensor/fast-philox-gives-the-same-stream.spec.ts.
 */
function mulHi32Split(c: number, mHigh: number, mLow: number): number {
  return Math.floor((c * mHigh + Math.floor((c * mLow) / 65536)) / 65536);
}

/**
 * x0 and x1 of Philox4x32-10 at counter [index, 0, 0, 0] (index < 2^32), the two words the uniform and
 * normal draws use, written to out[0], out[1]: the rounds of `philox4x32Into`, unrolled into plain
 * integer locals with the float64 high-word product. The loop of every random tensor.
 */
function philoxFirstWords(index: number, key0: number, key1: number, out: Uint32Array): void {
  let c0 = index >>> 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let k0 = key0;
  let k1 = key1;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHi32Split(c0, M0_HIGH, M0_LOW);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHi32Split(c2, M1_HIGH, M1_LOW);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
}

/** Fills `data` with the block words of indices [0, data.length): the fast path below 2^32 elements, else `blockAt`. */
function forEachBlock(key: readonly number[], count: number, visit: (index: number, block: Uint32Array) => void): void {
  const block = new Uint32Array(4);
  for (let i = 0; i < count; i++) {
    if (i < 4294967296) philoxFirstWords(i, key[0], key[1], block);
    else blockAt(key, i, block);
    visit(i, block);
  }
}

/**
 * Philox4x32-10 block function: 10 rounds over a 128-bit counter with a 64-bit key.
 * Returns four uint32 values. Matches Random123's `philox4x32_R(10, ctr, key)`.
 */
export function philox4x32(counter: readonly number[], key: readonly number[]): Uint32Array {
  checkUint32Words('counter', counter, 4);
  checkUint32Words('key', key, 2);
  const out = new Uint32Array(4);
  philox4x32Into(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
  return out;
}

/** The Philox rounds, writing the four words into `out` (no allocation: the hot loop of every random tensor). */
function philox4x32Into(counter0: number, counter1: number, counter2: number, counter3: number, key0: number, key1: number, out: Uint32Array): void {
  let c0 = counter0 >>> 0;
  let c1 = counter1 >>> 0;
  let c2 = counter2 >>> 0;
  let c3 = counter3 >>> 0;
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulHi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

function checkUint32Words(argument: string, words: readonly number[], count: number): void {
  if (!Array.isArray(words) || words.length !== count || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw new MoEOracleError(argument, `an array of ${count} uint32 words`, describe(words));
  }
}

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  if (typeof text !== 'string') throw new MoEOracleError('text', 'a string', describe(text));
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The Philox key of a named tensor: [seed, FNV-1a-32(name)]. */
export function tensorKey(seed: number, name: string): [number, number] {
  checkInteger('seed', seed, 0, 0xffffffff);
  if (typeof name !== 'string' || name.length === 0) throw new MoEOracleError('name', 'a non-empty tensor name', String(name));
  return [seed >>> 0, fnv1a32(name)];
}

/** Philox block of element `index`: counter [index mod 2^32, ⌊index / 2^32⌋, 0, 0]. */
function blockAt(key: readonly number[], index: number, out = new Uint32Array(4)): Uint32Array {
  philox4x32Into(index % 4294967296, Math.floor(index / 4294967296), 0, 0, key[0], key[1], out);
  return out;
}

/** Uniform float32 draw in [low, high) of element `index` of tensor `name`. */
export function uniformAt(seed: number, name: string, index: number, low = 0, high = 1): number {
  checkDraw(index, 'low', low, 'high', high);
  return uniformFromBlock(blockAt(tensorKey(seed, name), index), low, high);
}

/** Normal float32 draw of element `index` of tensor `name`. */
export function normalAt(seed: number, name: string, index: number, mean = 0, std = 1): number {
  checkDraw(index, 'mean', mean, 'std', std);
  return normalFromBlock(blockAt(tensorKey(seed, name), index), mean, std);
}

/** The element index and the two parameters of a single draw (`uniformAt`, `normalAt`). */
function checkDraw(index: number, firstName: string, first: number, secondName: string, second: number): void {
  checkInteger('index', index, 0);
  checkFiniteNumber(firstName, first);
  checkFiniteNumber(secondName, second);
}

function uniformFromBlock(block: Uint32Array, low: number, high: number): number {
  const u = (block[0] >>> 8) * TWO_POW_MINUS_24;
  return Math.fround(low + (high - low) * u);
}

function normalFromBlock(block: Uint32Array, mean: number, std: number): number {
  const u1 = ((block[0] >>> 8) + 1) * TWO_POW_MINUS_24;
  const u2 = (block[1] >>> 8) * TWO_POW_MINUS_24;
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.fround(mean + std * z);
}

/** Options of a named random tensor. */
export interface RandomTensorOptions {
  /** uint32 seed shared by all tensors of a case. */
  seed: number;
  /** The tensor's name, e.g. `experts.3.w1.weight`; it selects an independent stream. */
  name: string;
}

/** A tensor of uniform draws in [low, high) (PyTorch's `nn.Linear` init uses ±1/sqrt(fan_in)). */
export function randomUniform(shape: readonly number[], options: RandomTensorOptions & { low?: number; high?: number }): Tensor {
  const size = sizeOf(shape);
  checkObject('options', options, 'an object with seed and name');
  const low = checkFiniteNumber('low', options.low ?? 0);
  const high = checkFiniteNumber('high', options.high ?? 1);
  if (!(high > low)) throw new MoEOracleError('high', `a number greater than low (${low})`, String(high));
  const key = tensorKey(options.seed, options.name);
  const data = new Float32Array(size);
  // The WebAssembly loop (src/backends/wasm-simd/philox-kernel.ts) computes the same bits ~10× faster.
  if (!fillUniformWasm(data, key, low, high)) forEachBlock(key, data.length, (i, block) => (data[i] = uniformFromBlock(block, low, high)));
  return tensor(data, shape);
}

/** A tensor of normal draws N(mean, std²). */
export function randomNormal(shape: readonly number[], options: RandomTensorOptions & { mean?: number; std?: number }): Tensor {
  const size = sizeOf(shape);
  checkObject('options', options, 'an object with seed and name');
  const mean = checkFiniteNumber('mean', options.mean ?? 0);
  const std = checkFiniteNumber('std', options.std ?? 1, 0);
  const key = tensorKey(options.seed, options.name);
  const data = new Float32Array(size);
  forEachBlock(key, data.length, (i, block) => (data[i] = normalFromBlock(block, mean, std)));
  return tensor(data, shape);
}
