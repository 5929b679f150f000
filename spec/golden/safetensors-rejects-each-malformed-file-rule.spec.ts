// Every rule of the safetensors format has a malformed file that breaks it, and the reader answers
// each with a MoEOracleError whose message names the problem.
import { describe, expect, it } from 'vitest';
import { readSafetensors, requireIntTensor, requireTensor } from '../../src/golden/safetensors.js';
import { MoEOracleError } from '../../src/tensor/errors.js';
import { littleEndian, rawSafetensors } from './raw-safetensors.js';

/** Reads `bytes` and returns the MoEOracleError message (fails the spec on success or another error). */
function rejection(bytes: Uint8Array): string {
  try {
    readSafetensors(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(MoEOracleError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
}

const f32 = (offsets: unknown, shape: unknown = [1]) => ({ dtype: 'F32', shape, data_offsets: offsets });
const fourFloats = littleEndian('f32', [1, 2, 3, 4]);

describe('safetensors reader rejects', () => {
  it('a file shorter than the 8-byte header length', () => {
    expect(rejection(new Uint8Array(5))).toMatch(/safetensors file: expected at least 8 bytes .*, got 5 bytes/);
  });

  it('a header length past the end of the file', () => {
    expect(rejection(rawSafetensors('{}', new Uint8Array(0), 100n))).toMatch(/header length: expected at most 2 bytes .*, got 100/);
    expect(rejection(rawSafetensors('{}', new Uint8Array(0), 2n ** 64n - 1n))).toMatch(/got 18446744073709551615/);
  });

  it('a header that is not UTF-8', () => {
    const bytes = rawSafetensors('{"a" }');
    bytes[10] = 0xff;
    expect(rejection(bytes)).toMatch(/header: expected valid UTF-8/);
  });

  it('a header that is not JSON (including a byte-order mark)', () => {
    expect(rejection(rawSafetensors('{"x": {'))).toMatch(/header: expected valid JSON, got invalid JSON/);
    expect(rejection(rawSafetensors('\ufeff{}'))).toMatch(/expected valid JSON/);
  });

  it('a header that is JSON but not an object', () => {
    expect(rejection(rawSafetensors('[1, 2]'))).toMatch(/header: expected a JSON object, got \[1, 2\]/);
    expect(rejection(rawSafetensors('null'))).toMatch(/expected a JSON object, got null/);
    expect(rejection(rawSafetensors('"text"'))).toMatch(/expected a JSON object/);
  });

  it('a tensor name or metadata key given twice', () => {
    const twice = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "w" :{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(rejection(rawSafetensors(twice, littleEndian('f32', [1])))).toMatch(/every tensor name and metadata key at most once, got "w" more than once/);
    expect(rejection(rawSafetensors('{"__metadata__":{"k":"1","k":"2"}}'))).toMatch(/"k" more than once/);
    // The same key in two different objects, or as a string value, is no duplicate.
    expect(() => readSafetensors(rawSafetensors('{"__metadata__":{"dtype":"shape","x":"dtype"}}'))).not.toThrow();
  });

  it('metadata that is not string → string', () => {
    expect(rejection(rawSafetensors({ __metadata__: { epoch: 3 } }))).toMatch(/__metadata__: expected an object of string values, got key "epoch" with value 3/);
    expect(rejection(rawSafetensors({ __metadata__: ['a'] }))).toMatch(/__metadata__: expected an object of string values/);
    expect(rejection(rawSafetensors({ __metadata__: 'a' }))).toMatch(/__metadata__: expected an object of string values/);
  });

  it('a tensor entry that is not an object with exactly dtype, shape, data_offsets', () => {
    expect(rejection(rawSafetensors({ w: [0, 4] }, fourFloats))).toMatch(/tensor "w": expected an object \{dtype, shape, data_offsets\}/);
    expect(rejection(rawSafetensors({ w: { dtype: 'F32', shape: [1] } }))).toMatch(/tensor "w": expected exactly the keys \["dtype", "shape", "data_offsets"\]/);
    expect(rejection(rawSafetensors({ w: { ...f32([0, 4]), offsets: [0, 4] } }, littleEndian('f32', [1])))).toMatch(/expected exactly the keys/);
  });

  it('an unknown or unsupported dtype', () => {
    expect(rejection(rawSafetensors({ w: { dtype: 'float32', shape: [1], data_offsets: [0, 4] } }, fourFloats))).toMatch(
      /tensor "w" dtype: expected one of "F32", "I32", "F16", "BF16", "F64", "I64", got "float32"/,
    );
    expect(rejection(rawSafetensors({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)))).toMatch(/got "U8"/);
    expect(rejection(rawSafetensors({ w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, fourFloats))).toMatch(/dtype: expected one of .*, got 4/);
  });

  it('a shape that is not an array of non-negative integers', () => {
    for (const shape of [[-1], [1.5], ['2'], 4, [2 ** 53]]) {
      expect(rejection(rawSafetensors({ w: f32([0, 16], shape) }, fourFloats))).toMatch(/tensor "w" shape: expected an array of non-negative integers/);
    }
  });

  it('data_offsets that are not two non-negative integers', () => {
    for (const offsets of [[0], [0, 4, 8], [0, '4'], [-4, 0], null, [0, 4.5]]) {
      expect(rejection(rawSafetensors({ w: f32(offsets) }, fourFloats))).toMatch(/tensor "w" data_offsets: expected two non-negative integers \[begin, end\]/);
    }
  });

  it('data_offsets with end before begin', () => {
    expect(rejection(rawSafetensors({ w: f32([8, 4]) }, fourFloats))).toMatch(/tensor "w" data_offsets: expected begin ≤ end, got \[8, 4\]/);
  });

  it('data_offsets past the end of the data section', () => {
    expect(rejection(rawSafetensors({ w: f32([12, 20], [2]) }, fourFloats))).toMatch(/data_offsets: expected end ≤ 16 \(the size of the data section\), got \[12, 20\]/);
  });

  it('a byte length that is not product(shape) · dtype size', () => {
    expect(rejection(rawSafetensors({ w: f32([0, 16], [3]) }, fourFloats))).toMatch(/end − begin = \[3\] elements · 4 bytes \(F32\) = 12 bytes, got 16 bytes/);
    expect(rejection(rawSafetensors({ w: f32([0, 16], [2 ** 40, 2 ** 40]) }, fourFloats))).toMatch(/tensor "w" data_offsets: expected end − begin/);
  });

  it('overlapping tensors', () => {
    const header = { a: f32([0, 8], [2]), b: f32([4, 12], [2]), c: f32([12, 16]) };
    expect(rejection(rawSafetensors(header, fourFloats))).toMatch(/tensor "b" data_offsets: expected to begin at byte 8, where tensor "a" ends .*, got \[4, 12\], an overlap with tensor "a"/);
    const duplicateRange = { a: f32([0, 16], [4]), b: f32([0, 16], [4]) };
    expect(rejection(rawSafetensors(duplicateRange, fourFloats))).toMatch(/an overlap with tensor/);
  });

  it('a gap between tensors (or before the first)', () => {
    expect(rejection(rawSafetensors({ a: f32([0, 4]), b: f32([8, 16], [2]) }, fourFloats))).toMatch(/tensor "b" data_offsets: expected to begin at byte 4, where tensor "a" ends .*, got \[8, 16\], a gap after byte 4/);
    expect(rejection(rawSafetensors({ a: f32([4, 16], [3]) }, fourFloats))).toMatch(/expected to begin at byte 0, the start of the data section/);
  });

  it('data not fully covered by the tensors', () => {
    expect(rejection(rawSafetensors({ a: f32([0, 8], [2]) }, fourFloats))).toMatch(/data section: expected to be covered exactly by the tensors \(8 bytes\), got 16 bytes, 8 of them after the last tensor/);
    expect(rejection(rawSafetensors({}, new Uint8Array(1)))).toMatch(/1 of them after the last tensor/);
  });

  it('I64 values outside the int32 range', () => {
    const header = { i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } };
    expect(rejection(rawSafetensors(header, littleEndian('i64', [0n, 2n ** 31n])))).toMatch(/tensor "i": expected I64 values within the int32 range, got 2147483648 at flat index 1/);
  });

  it('a Uint8Array-less argument', () => {
    expect(() => readSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(/bytes: expected a Uint8Array/);
  });
});

describe('requireTensor', () => {
  const file = readSafetensors(rawSafetensors({ x: f32([0, 16], [2, 2]), i: { dtype: 'I32', shape: [1], data_offsets: [16, 20] } }, new Uint8Array(20)));

  it('names a missing tensor and lists what the file holds', () => {
    expect(() => requireTensor(file, 'y')).toThrow(/tensor "y": expected a tensor of that name in the file \(it holds: i, x\), got no such tensor/);
    expect(() => requireTensor(file, 'toString')).toThrow(/tensor "toString": expected a tensor of that name/);
  });

  it('names a wrongly shaped tensor', () => {
    expect(() => requireTensor(file, 'x', [2, 3])).toThrow(/tensor "x": expected shape \[2, 3\], got \[2, 2\]/);
    expect(() => requireTensor(file, 'x', ['T'])).toThrow(/tensor "x": expected shape \[T\], got \[2, 2\]/);
    expect(requireTensor(file, 'x', [null, 2]).shape).toEqual([2, 2]);
  });

  it('names a tensor of the wrong element type and its stored dtype', () => {
    expect(() => requireTensor(file, 'i')).toThrow(/tensor "i": expected a float32 tensor, got an int32 tensor \(stored as I32\)/);
    expect(() => requireIntTensor(file, 'x')).toThrow(/tensor "x": expected an int32 tensor, got a float32 tensor \(stored as F32\)/);
    expect(requireIntTensor(file, 'i', [1]).data).toBeInstanceOf(Int32Array);
  });
});
