// randomUniform and randomNormal fill tensors with fast loops (WebAssembly's 64-bit multiply for the
// uniform draws, a float64 high-word product for the JavaScript loop); uniformAt and normalAt compute
// one element through the plain Philox block function (`philox4x32`, itself checked against
// Random123's known-answer vectors). Every element must agree bit for bit, including across the
// WebAssembly loop's 2^20-element chunk boundary.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalAt, randomNormal, randomUniform, uniformAt } from '../../src/index.js';

describe('fast Philox loops', () => {
  it('randomUniform equals uniformAt element by element', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.string({ minLength: 1, maxLength: 12 }), fc.double({ min: -4, max: 4, noNaN: true }), fc.double({ min: 0.001, max: 8, noNaN: true }), (size, seed, name, low, width) => {
        const values = randomUniform([size], { seed, name, low, high: low + width }).data;
        for (let i = 0; i < size; i++) expect(Object.is(values[i], uniformAt(seed, name, i, low, low + width))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('randomNormal equals normalAt element by element', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.string({ minLength: 1, maxLength: 12 }), (size, seed, name) => {
        const values = randomNormal([size], { seed, name, mean: 0.5, std: 2 }).data;
        for (let i = 0; i < size; i++) expect(Object.is(values[i], normalAt(seed, name, i, 0.5, 2))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('agrees across the 2^20-element chunk boundary of the WebAssembly loop', () => {
    const size = (1 << 20) + 9;
    const values = randomUniform([size], { seed: 5, name: 'experts.0.w1.weight', low: -0.03, high: 0.03 }).data;
    for (const i of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, size - 1]) expect(values[i]).toBe(uniformAt(5, 'experts.0.w1.weight', i, -0.03, 0.03));
  });
});
