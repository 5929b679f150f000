// Writing then reading a safetensors file gives back every bit (NaN payloads, -0, subnormals,
// ±Infinity), the writer is deterministic byte for byte, it reproduces the reference
// implementation's serialization test vectors, and the reader widens F16/BF16/F64/I64 exactly as
// documented.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { readSafetensors, writeSafetensors, float16BitsToFloat32Bits } from '../../src/golden/safetensors.js';
import { intTensor, sizeOf, tensor, type IntTensor, type Tensor } from '../../src/tensor/tensor.js';
import { bitsOfFloat32, float32Bits, float32FromBits, littleEndian, rawSafetensors, splitSafetensors } from './raw-safetensors.js';

const name = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((n) => n !== '__metadata__');
const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

const floatTensor = shape.chain((s) => fc.array(float32Bits, { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((bits) => tensor(float32FromBits(bits), s)));
const int32Tensor = shape.chain((s) =>
  fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => intTensor(v, s)),
);
const tensorDict = fc.uniqueArray(fc.tuple(name, fc.oneof(floatTensor, int32Tensor)), { selector: ([n]) => n, maxLength: 6 });
const metadata = fc.uniqueArray(fc.tuple(name, fc.string({ unit: 'grapheme', maxLength: 12 })), { selector: ([k]) => k, maxLength: 4 });

/** Contents of a tensor as exact bit patterns (float32) or values (int32). */
function contentOf(t: Tensor | IntTensor): { kind: string; shape: number[]; values: number[] } {
  return t.data instanceof Int32Array
    ? { kind: 'int32', shape: [...t.shape], values: Array.from(t.data) }
    : { kind: 'float32', shape: [...t.shape], values: bitsOfFloat32(t.data) };
}

describe('safetensors round trip', () => {
  it('gives back every tensor bit for bit and every metadata string', () => {
    fc.assert(
      fc.property(tensorDict, metadata, (entries, meta) => {
        const file = readSafetensors(writeSafetensors(Object.fromEntries(entries), Object.fromEntries(meta)));
        expect(Object.keys(file.tensors).sort()).toEqual(entries.map(([n]) => n).sort());
        for (const [n, t] of entries) expect(contentOf(file.tensors[n])).toEqual(contentOf(t));
        expect({ ...file.metadata }).toEqual(Object.fromEntries(meta));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps NaN payloads, -0, subnormals and ±Infinity', () => {
    const bits = [0x7fc0beef, 0xff800001, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000];
    const file = readSafetensors(writeSafetensors({ x: tensor(float32FromBits(bits), [7]) }));
    expect(bitsOfFloat32(file.tensors.x.data as Float32Array)).toEqual(bits);
  });

  it('writes non-contiguous views in row-major order', () => {
    const base = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const file = readSafetensors(writeSafetensors({ t: base.transpose(1, 0) }));
    expect(Array.from(file.tensors.t.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(file.tensors.t.shape).toEqual([3, 2]);
  });

  it('reads tensors named like Object.prototype members as ordinary entries', () => {
    const header = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"I32","shape":[],"data_offsets":[4,8]}}';
    const file = readSafetensors(rawSafetensors(header, new Uint8Array([...littleEndian('f32', [1.5]), ...littleEndian('i32', [7])])));
    expect(Object.keys(file.tensors).sort()).toEqual(['__proto__', 'constructor']);
    expect(file.tensors['__proto__'].get(0)).toBe(1.5);
    expect(file.tensors['constructor'].get()).toBe(7);
  });
});

describe('safetensors writer', () => {
  it('is deterministic: insertion order does not matter and write(read(bytes)) = bytes', () => {
    fc.assert(
      fc.property(tensorDict, metadata, (entries, meta) => {
        const bytes = writeSafetensors(Object.fromEntries(entries), Object.fromEntries(meta));
        const reversed = writeSafetensors(Object.fromEntries([...entries].reverse()), Object.fromEntries([...meta].reverse()));
        expect(reversed).toEqual(bytes);
        const file = readSafetensors(bytes);
        expect(writeSafetensors(file.tensors, file.metadata)).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('puts __metadata__ first, sorts tensors by UTF-8 bytes, lays data out in that order and pads the header to 8 bytes', () => {
    // "é" (U+00E9) sorts before "😀" (U+1F600) in UTF-8 byte order, although its UTF-16 unit is larger than 0xD83D.
    const bytes = writeSafetensors(
      { '😀': intTensor([3], [1]), b: tensor([2], [1]), 'é': tensor([4], [1]), a: tensor([1], [1]) },
      { z: '1', a: '2' },
    );
    const { header, data } = splitSafetensors(bytes);
    expect((bytes.length - data.length - 8) % 8).toBe(0);
    expect(header).toBe(
      '{"__metadata__":{"a":"2","z":"1"},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},' +
        '"é":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"😀":{"dtype":"I32","shape":[1],"data_offsets":[12,16]}}' +
        ' '.repeat(header.length - header.trimEnd().length),
    );
    expect(new TextEncoder().encode(header).length % 8).toBe(0);
    expect(Array.from(new Float32Array(data.slice(0, 12).buffer))).toEqual([1, 2, 4]);
  });

  it('reproduces the reference implementation serialization test vectors (huggingface/safetensors tensor.rs)', () => {
    const f32 = littleEndian('f32', [0, 1, 2, 3, 4, 5]);
    const expected = (header: string, padding: number, data: Uint8Array = new Uint8Array(0)) => rawSafetensors(header + ' '.repeat(padding), data);
    // test_serialization: 64-byte header, no padding needed.
    expect(writeSafetensors({ 'attn.0': tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]) })).toEqual(
      expected('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', 0, f32),
    );
    // test_serialization_forced_alignement: 65 bytes padded with 7 spaces to 72.
    expect(writeSafetensors({ attn0: tensor([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) })).toEqual(
      expected('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', 7, f32),
    );
    // test_empty, without and with metadata.
    expect(writeSafetensors({})).toEqual(expected('{}', 6));
    expect(writeSafetensors({}, { framework: 'pt' })).toEqual(expected('{"__metadata__":{"framework":"pt"}}', 5));
  });

  it('rejects what it cannot write faithfully', () => {
    expect(() => writeSafetensors({ __metadata__: tensor([1], [1]) })).toThrow(/tensor names other than "__metadata__"/);
    expect(() => writeSafetensors({ x: ndarray(new Float64Array(1), [1]) as unknown as Tensor })).toThrow(/tensors\["x"\]: expected a float32 or int32 tensor/);
    expect(() => writeSafetensors({ ['\ud800']: tensor([1], [1]) })).toThrow(/unpaired surrogates/);
    expect(() => writeSafetensors({}, { n: 3 as unknown as string })).toThrow(/metadata: expected an object of string values/);
  });
});

describe('safetensors reader conversions', () => {
  /** Independent reference for IEEE binary16: (−1)^s · 2^(e−15) · (1 + m/1024), subnormal 2^−14 · m/1024. */
  function float16Value(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
    return e === 0 ? sign * 2 ** -14 * (m / 1024) : sign * 2 ** (e - 15) * (1 + m / 1024);
  }

  it('widens every one of the 65536 F16 values exactly (NaN payloads included)', () => {
    const all = Array.from({ length: 65536 }, (_, h) => h);
    const file = readSafetensors(rawSafetensors({ h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } }, littleEndian('u16', all)));
    const values = file.tensors.h.data as Float32Array;
    const bits = bitsOfFloat32(values);
    expect(file.dtypes.h).toBe('F16');
    // NaNs: the float32 NaN with the same sign and the 10-bit payload in the top fraction bits.
    const wrong = all.filter((h) =>
      Number.isNaN(float16Value(h)) ? bits[h] !== ((((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0) : !Object.is(values[h], float16Value(h)),
    );
    expect(wrong).toEqual([]);
    expect(float16BitsToFloat32Bits(0x7e01)).toBe(0x7fc02000);
  });

  /** Independent reference for bfloat16: (−1)^s · 2^(e−127) · (1 + m/128), subnormal 2^−126 · m/128. */
  function bfloat16Value(b: number): number {
    const sign = b & 0x8000 ? -1 : 1;
    const e = (b >> 7) & 0xff;
    const m = b & 0x7f;
    if (e === 0xff) return m === 0 ? sign * Infinity : NaN;
    return e === 0 ? sign * 2 ** -126 * (m / 128) : sign * 2 ** (e - 127) * (1 + m / 128);
  }

  it('widens every one of the 65536 BF16 values exactly (NaN payloads included)', () => {
    const all = Array.from({ length: 65536 }, (_, b) => b);
    const file = readSafetensors(rawSafetensors({ b: { dtype: 'BF16', shape: [256, 256], data_offsets: [0, 131072] } }, littleEndian('u16', all)));
    const values = file.tensors.b.data as Float32Array;
    const bits = bitsOfFloat32(values);
    const wrong = all.filter((b) => (Number.isNaN(bfloat16Value(b)) ? bits[b] !== (b << 16) >>> 0 : !Object.is(values[b], bfloat16Value(b))));
    expect(wrong).toEqual([]);
    expect(file.tensors.b.get(0x3f, 0x80)).toBe(1); // bits 0x3f80 = 1.0, at row 0x3f, column 0x80
  });

  it('rounds F64 to the nearest float32 (overflow to ±Infinity) and narrows I64 to int32', () => {
    const f64 = [0.1, -1e300, 1e-50, 2 ** 31, Number.NaN];
    const file = readSafetensors(
      rawSafetensors(
        { d: { dtype: 'F64', shape: [5], data_offsets: [0, 40] }, l: { dtype: 'I64', shape: [3], data_offsets: [40, 64] } },
        new Uint8Array([...littleEndian('f64', f64), ...littleEndian('i64', [-(2n ** 31n), 2n ** 31n - 1n, 0n])]),
      ),
    );
    expect(Array.from(file.tensors.d.data)).toEqual([Math.fround(0.1), -Infinity, 0, 2 ** 31, NaN]);
    expect(file.tensors.l.data).toBeInstanceOf(Int32Array);
    expect(Array.from(file.tensors.l.data)).toEqual([-(2 ** 31), 2 ** 31 - 1, 0]);
  });

  it('accepts an unpadded header, leading whitespace, a null __metadata__ and zero-size tensors anywhere', () => {
    const file = readSafetensors(
      rawSafetensors(
        ' {"__metadata__":null,"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"x":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}',
        littleEndian('i32', [-5]),
      ),
    );
    expect(file.tensors.e.shape).toEqual([0, 3]);
    expect(file.tensors.x.get()).toBe(-5);
    expect({ ...file.metadata }).toEqual({});
  });
});
