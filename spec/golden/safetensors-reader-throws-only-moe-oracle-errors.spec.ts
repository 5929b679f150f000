// Fuzzing the reader: random bytes and random mutations of valid files (truncation, flipped bytes,
// a different header length, rewritten dtype/shape/offsets/metadata in the JSON) either read as a
// consistent file or fail with a MoEOracleError, never with any other exception.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readSafetensors, writeSafetensors } from '../../src/golden/safetensors.js';
import { MoEOracleError } from '../../src/tensor/errors.js';
import { intTensor, sizeOf, tensor } from '../../src/tensor/tensor.js';
import { rawSafetensors, splitSafetensors } from './raw-safetensors.js';

/** The property: a consistent result or a MoEOracleError. */
function readsOrRejectsCleanly(bytes: Uint8Array): void {
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (error) {
    if (!(error instanceof MoEOracleError)) throw new Error(`not a MoEOracleError: ${String(error)}`);
    return;
  }
  for (const t of Object.values(file.tensors)) expect(t.data.length).toBe(sizeOf(t.shape));
  for (const value of Object.values(file.metadata)) expect(typeof value).toBe('string');
}

/** Small valid files: a few F32 and I32 tensors with metadata. */
const validFile = fc
  .array(fc.tuple(fc.constantFrom('F32', 'I32'), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 })), { minLength: 1, maxLength: 4 })
  .map((specs) => {
    const tensors = Object.fromEntries(
      specs.map(([dtype, shape], i) => [`t${i}`, dtype === 'F32' ? tensor(new Float32Array(sizeOf(shape)).fill(i + 0.5), shape) : intTensor(new Int32Array(sizeOf(shape)).fill(i), shape)]),
    );
    return writeSafetensors(tensors, { note: 'fuzz' });
  });

/** A JSON value that a field may be rewritten to: anything, with plausible near-misses made frequent. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('F32', 'I32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'F8_E4M3', 'f32', ''),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(2 ** 53, 1e300, 0.5, -0)), { maxLength: 4 }),
);

/** Rewrites one field of one entry of the header (or deletes it), keeping the header length right. */
const jsonRewrite = fc.tuple(
  validFile,
  fc.nat(),
  fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra', '__metadata__'),
  fc.option(fieldValue, { nil: undefined }),
).map(([bytes, which, field, value]) => {
  const { header, data } = splitSafetensors(bytes);
  const json = JSON.parse(header) as Record<string, Record<string, unknown>>;
  const names = Object.keys(json).filter((n) => n !== '__metadata__');
  if (field === '__metadata__') json.__metadata__ = value as Record<string, unknown>;
  else if (value === undefined) delete json[names[which % names.length]][field];
  else json[names[which % names.length]][field] = value;
  return rawSafetensors(json, data);
});

/** Moves one tensor's byte range (length kept), to reach the overlap, gap, range and coverage checks. */
const rangeShift = fc.tuple(validFile, fc.nat(), fc.integer({ min: -8, max: 8 })).map(([bytes, which, delta]) => {
  const { header, data } = splitSafetensors(bytes);
  const json = JSON.parse(header) as Record<string, { data_offsets: number[] }>;
  const names = Object.keys(json).filter((n) => n !== '__metadata__');
  const entry = json[names[which % names.length]];
  entry.data_offsets = entry.data_offsets.map((offset) => Math.max(0, offset + delta));
  return rawSafetensors(json, data);
});

/** Byte-level mutations of a valid file. */
const byteMutation = fc.oneof(
  // truncate
  fc.tuple(validFile, fc.nat()).map(([bytes, at]) => bytes.slice(0, at % (bytes.length + 1))),
  // flip bytes anywhere
  fc.tuple(validFile, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })).map(([bytes, flips]) => {
    const copy = bytes.slice();
    for (const [at, mask] of flips) copy[at % copy.length] ^= mask;
    return copy;
  }),
  // a different header length
  fc.tuple(validFile, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([bytes, length]) => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setBigUint64(0, length, true);
    return copy;
  }),
  // append or drop data bytes
  fc.tuple(validFile, fc.integer({ min: -8, max: 8 })).map(([bytes, delta]) => (delta < 0 ? bytes.slice(0, bytes.length + delta) : new Uint8Array([...bytes, ...new Uint8Array(delta)]))),
);

describe('safetensors reader under fuzzing', () => {
  it('handles random byte strings', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), readsOrRejectsCleanly), { numRuns: 500 });
  });

  it('handles random text after a correct header length', () => {
    const text = fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 3 }));
    fc.assert(fc.property(text, fc.uint8Array({ maxLength: 32 }), (header, data) => readsOrRejectsCleanly(rawSafetensors(header, data))), { numRuns: 500 });
  });

  it('handles byte-level mutations of valid files', () => {
    fc.assert(fc.property(byteMutation, readsOrRejectsCleanly), { numRuns: 1000 });
  });

  it('handles rewritten dtype, shape, data_offsets and metadata fields', () => {
    fc.assert(fc.property(jsonRewrite, readsOrRejectsCleanly), { numRuns: 1000 });
  });

  it('handles moved tensor byte ranges', () => {
    fc.assert(fc.property(rangeShift, readsOrRejectsCleanly), { numRuns: 500 });
  });

  it('still reads the unmutated files', () => {
    fc.assert(
      fc.property(validFile, (bytes) => {
        expect(Object.keys(readSafetensors(bytes).tensors).length).toBeGreaterThan(0);
      }),
      { numRuns: 50 },
    );
  });
});
