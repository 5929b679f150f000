// A header nested 100 000 levels deep (in a shape, in the metadata, as a tensor entry) is rejected
// with a MoEOracleError naming the nesting limit, not a "Maximum call stack size exceeded" from a
// recursive walk; nesting up to the limit (serde_json's 128) is judged by the ordinary rules.
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/golden/safetensors.js';
import { MoEOracleError } from '../../src/index.js';
import { rawSafetensors } from './raw-safetensors.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('safetensors header nesting', () => {
  it('rejects a 100 000-deep header wherever the nesting sits', () => {
    const deep = nested(100_000);
    for (const header of [
      `{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`,
      `{"__metadata__":${deep}}`,
      `{"a":${deep}}`,
      `{"a":{"dtype":${deep},"shape":[],"data_offsets":[0,4]}}`,
    ]) {
      expect(() => readSafetensors(rawSafetensors(header))).toThrow(MoEOracleError);
      expect(() => readSafetensors(rawSafetensors(header))).toThrow(/nested at most 128 deep .*got nesting 10000\d deep/);
    }
  });

  it('judges a header within the limit by the ordinary rules (a nested shape is a bad shape)', () => {
    expect(() => readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","shape":${nested(100)},"data_offsets":[0,0]}}`))).toThrow(/tensor "a" shape: expected an array of non-negative integers/);
    expect(() => readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","shape":${nested(200)},"data_offsets":[0,0]}}`))).toThrow(/nested at most 128/);
  });
});
