// Shared test helpers: random inputs from the library's own PRNG, closeness checks, and the
// fast-check arbitraries of small MoE shapes.
import fc from 'fast-check';
import { expect } from 'vitest';
import { MoEOracleError, randomNormal, type Tensor } from '../src/index.js';

export const FLOAT32_EPSILON = 2 ** -23;

/** x [T, H] ~ N(0, scale²) from the named stream. */
export function randomInput(tokens: number, hidden: number, seed: number, scale = 1, name = 'inputs.x'): Tensor {
  return randomNormal([tokens, hidden], { seed, name, std: scale });
}

/** Largest |a − b| over all elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Largest |x| over all elements. */
export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}

/** Asserts |a − b| ≤ atol + rtol·|b| element-wise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const allowed = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= allowed)) {
      throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i])} > ${allowed})`);
    }
  }
}

/** Small MoE shapes: tokens T, hidden H, experts N, top-k k ≤ N, intermediate I, seed. */
export const moeShape = fc
  .record({
    tokens: fc.integer({ min: 1, max: 12 }),
    hidden: fc.integer({ min: 1, max: 12 }),
    numExperts: fc.integer({ min: 1, max: 9 }),
    intermediate: fc.integer({ min: 1, max: 10 }),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .chain((s) => fc.record({ ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fc.constant(v)])), topK: fc.integer({ min: 1, max: s.numExperts }) })) as fc.Arbitrary<{
  tokens: number;
  hidden: number;
  numExperts: number;
  intermediate: number;
  seed: number;
  topK: number;
}>;

/** Logit matrices with many exact ties (values from a small set), to exercise the tie rule. */
export const tiedLogits = fc
  .record({ tokens: fc.integer({ min: 1, max: 8 }), columns: fc.integer({ min: 1, max: 10 }) })
  .chain(({ tokens, columns }) =>
    fc.record({
      tokens: fc.constant(tokens),
      columns: fc.constant(columns),
      values: fc.array(fc.constantFrom(-1e4, -2, -0.5, 0, 0.5, 3, 1e4), { minLength: tokens * columns, maxLength: tokens * columns }),
      k: fc.integer({ min: 1, max: columns }),
    }),
  );

/** The MoEOracleError that `action` throws (fails the test when it returns or throws anything else). */
export function errorOf(action: () => unknown): MoEOracleError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MoEOracleError);
    return error as MoEOracleError;
  }
  throw new Error('expected a MoEOracleError');
}
