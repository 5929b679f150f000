// Every function of the public API (src/index.ts) checks its arguments at the boundary: called with
// garbage (undefined, null, objects of the wrong shape, strings, numbers, NaN, huge shapes, fake
// tensors) it returns or throws MoEOracleError, never a TypeError, RangeError or stack trace from
// inside ("Cannot read properties of undefined", "Invalid typed array length").
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const fakeTensor = { data: new Float32Array(4), shape: [2, 2], stride: [2, 1], offset: 0, size: 4 };
const GARBAGE: unknown[] = [
  undefined, null, {}, [], 'x', 5, NaN, -1, 1e12, [1e9, 1e9], { tensors: 5 }, { kind: 'float32' },
  fakeTensor, { data: [1, 2], shape: 'x' }, { data: new Float32Array(2), shape: [1e9, 1e9] },
];
/** Functions that write or read files: never called with a string (a valid path). */
const FILE_FUNCTIONS = new Set(['generateSuite', 'checkSuite', 'writeSafetensorsFile', 'writeSafetensorsStream', 'readSafetensorsFile', 'writeParamsDoc']);

describe('the public API given garbage', () => {
  it('throws (or rejects with) only MoEOracleError', async () => {
    const escaped: string[] = [];
    let calls = 0;
    for (const [name, fn] of Object.entries(api)) {
      if (typeof fn !== 'function' || /^[A-Z]/.test(name)) continue; // classes (MoEOracleError) are not calls
      const pool = FILE_FUNCTIONS.has(name) ? GARBAGE.filter((g) => typeof g !== 'string') : GARBAGE;
      for (const a of pool) {
        for (const b of [undefined, ...pool.slice(0, 8)]) {
          calls++;
          try {
            const result = (fn as (...args: unknown[]) => unknown)(a, b, b);
            if (result instanceof Promise) await result;
          } catch (error) {
            if (!(error instanceof api.MoEOracleError)) escaped.push(`${name}(${show(a)}, ${show(b)}): ${(error as Error).name}: ${(error as Error).message.slice(0, 120)}`);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(10_000);
    const byFunction = [...new Set(escaped.map((e) => e.slice(0, e.indexOf('('))))];
    if (process.env.GARBAGE_REPORT) console.log(JSON.stringify(byFunction.map((f) => escaped.find((e) => e.startsWith(f + "(")))));
    expect({ functions: byFunction, examples: escaped.slice(0, 12) }).toEqual({ functions: [], examples: [] });
  });
});

function show(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 40) ?? String(value);
  } catch {
    return String(value);
  }
}
