// compareTensors lets float32 rounding noise (a few ULP per element) through, and a single
// perturbed element fails the comparison and is reported as the worst element, at its multi-index.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareTensors, ULP_BUCKETS } from '../../src/golden/compare.js';
import { defaultTolerance, referenceMagnitude } from '../../src/golden/tolerance.js';
import { randomNormal } from '../../src/tensor/prng.js';
import { sizeOf, tensor, unravelIndex, type Tensor } from '../../src/tensor/tensor.js';

/** The float32 `steps` ULPs above (or below, when negative) `value`, walking the number line. */
function moveByUlps(value: number, steps: number): number {
  const bits = new Int32Array(new Float32Array([value]).buffer)[0];
  const position = (bits < 0 ? -(bits & 0x7fffffff) : bits) + steps;
  const moved = position < 0 ? (0x80000000 | -position) >>> 0 : position;
  return new Float32Array(new Uint32Array([moved]).buffer)[0];
}

/** A copy of `t` with every element moved by its own number of ULPs. */
function withUlpNoise(t: Tensor, steps: readonly number[]): Tensor {
  return tensor(t.data.map((v, i) => moveByUlps(v, steps[i % steps.length])), t.shape);
}

const shape = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 });
const finiteFloat = fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) });

describe('compareTensors', () => {
  it('passes a copy moved by up to 3 ULP per element (zeros and subnormals included)', () => {
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), fc.array(finiteFloat, { minLength: sizeOf(s), maxLength: sizeOf(s) }))),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 7 }),
        ([s, values], steps) => {
          const reference = tensor(values, s);
          const actual = withUlpNoise(reference, steps);
          const tolerance = defaultTolerance({ dtype: 'fp32', reductionLength: 1, magnitude: referenceMagnitude(reference) });
          const result = compareTensors('noisy', reference, actual, tolerance);
          expect(result.reasons).toEqual([]);
          expect(result.passed).toBe(true);
          expect(result.ulp.max).toBeLessThanOrEqual(3);
          expect(result.worst).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails a noisy copy with one perturbed element and reports that element as the worst', () => {
    const reference = randomNormal([6, 5, 4], { seed: 3, name: 'reference' });
    const tolerance = defaultTolerance({ dtype: 'fp32', reductionLength: 64, magnitude: referenceMagnitude(reference) });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: reference.size - 1 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.boolean(),
        fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 1, maxLength: 5 }),
        (flat, size, negative, steps) => {
          const actual = withUlpNoise(reference, steps);
          actual.data[flat] += negative ? -size : size;
          const result = compareTensors('perturbed', reference, actual, tolerance);
          expect(result.passed).toBe(false);
          expect(result.beyondTolerance).toBe(1);
          expect(result.reasons).toEqual([`1 of ${reference.size} elements beyond tolerance`]);
          expect(result.worst).toMatchObject({ index: unravelIndex(flat, reference.shape), reference: reference.data[flat], actual: actual.data[flat] });
          expect(result.worst!.absError).toBeGreaterThan(result.worst!.allowed);
          expect(result.maxAbsError).toBe(result.worst!.absError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports as the worst the element most times beyond its allowed error, not the largest |Δ|', () => {
    const reference = tensor([100, 1, 1, 1], [2, 2]);
    const actual = tensor([101.6, 1.5, 1, 1], [2, 2]); // |Δ| 1.6 where 1 is allowed; |Δ| 0.5 where 0.01 is allowed
    const result = compareTensors('two', reference, actual, { atol: 0, rtol: 0.01 });
    expect(result.beyondTolerance).toBe(2);
    expect(result.worst?.index).toEqual([0, 1]);
    expect(result.maxAbsError).toBeCloseTo(1.6, 5);
  });

  it('counts ULP distances into buckets 0, 1, 2-4, 5-16, 17-256, >256 and averages them', () => {
    const reference = tensor([1, 1, 1, 1, 1, 1, 1], [7]);
    const steps = [0, 1, -4, 5, 16, 256, -257];
    const result = compareTensors('ulps', reference, withUlpNoise(reference, steps), { atol: 1, rtol: 0 });
    expect(ULP_BUCKETS.map((b) => b.label)).toEqual(['0', '1', '2-4', '5-16', '17-256', '>256']);
    expect(result.ulp.histogram).toEqual({ '0': 1, '1': 1, '2-4': 1, '5-16': 2, '17-256': 1, '>256': 1 });
    expect(result.ulp.max).toBe(257);
    expect(result.ulp.mean).toBeCloseTo((0 + 1 + 4 + 5 + 16 + 256 + 257) / 7, 12);
  });

  it('compares views element by element, whatever their strides', () => {
    const reference = tensor([1, 2, 3, 4, 5, 6], [2, 3]).transpose(1, 0);
    const actual = tensor([1, 4, 2, 5, 3, 9], [3, 2]);
    const result = compareTensors('view', reference, actual, { atol: 0, rtol: 0 });
    expect(result.worst).toMatchObject({ index: [2, 1], reference: 6, actual: 9 });
  });
});
