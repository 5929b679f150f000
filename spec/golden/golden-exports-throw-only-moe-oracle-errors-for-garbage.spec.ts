// Every function exported from src/golden checks its arguments at the boundary: called with garbage
// (undefined, null, objects of the wrong shape, strings, numbers, NaN) it returns or throws
// MoEOracleError, never a TypeError from inside ("Cannot read properties of undefined").
import { describe, expect, it } from 'vitest';
import * as golden from '../../src/golden/index.js';
import { MoEOracleError } from '../../src/index.js';

const GARBAGE: unknown[] = [undefined, null, {}, [], 'x', 5, NaN, -1, { tensors: 5 }, { tensors: {}, metadata: 7 }, { kind: 'float32' }];
/** Functions that write files: never called with a string, which would be a valid path. */
const WRITERS = new Set(['generateSuite', 'checkSuite', 'writeSafetensorsFile', 'writeSafetensorsStream', 'writeFileAtomically', 'readSafetensorsFile']);

describe('golden exports given garbage', () => {
  it('throw only MoEOracleError', () => {
    const escaped: string[] = [];
    let calls = 0;
    for (const [name, fn] of Object.entries(golden)) {
      if (typeof fn !== 'function') continue;
      const pool = WRITERS.has(name) ? GARBAGE.filter((g) => typeof g !== 'string') : GARBAGE;
      for (const a of pool) {
        for (const b of [undefined, ...pool]) {
          calls++;
          try {
            (fn as (...args: unknown[]) => unknown)(a, b, b);
          } catch (error) {
            if (!(error instanceof MoEOracleError)) escaped.push(`${name}(${String(a)}, ${String(b)}): ${(error as Error).name}: ${(error as Error).message}`);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(3000);
    expect(escaped.slice(0, 10)).toEqual([]);
  });
});
