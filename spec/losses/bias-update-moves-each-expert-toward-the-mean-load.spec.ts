// The aux-loss-free update b_e ← b_e + γ·sign(mean(c) − c_e): an expert above the mean load loses γ,
// one below gains γ, one at the mean keeps its bias; γ = 0 changes nothing; the result is float32 of
// b_e ± fround(γ). Also Megatron's default γ = 1e-3 on counts [3, 1, 2]: mean 2 → [−γ, +γ, 0] exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intTensor, tensor, tokensPerExpertOf, updateExpertBias } from '../../src/index.js';

describe('expert bias update', () => {
  it('moves each expert by γ toward the mean load', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) => fc.record({
          bias: fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n }),
          counts: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: n, maxLength: n }),
          rate: fc.constantFrom(0, 1e-3, 0.1),
        })),
        ({ bias, counts, rate }) => {
          const n = bias.length;
          const updated = updateExpertBias(tensor(bias, [n]), intTensor(counts, [n]), rate).data;
          const mean = counts.reduce((a, b) => a + b, 0) / n;
          for (let e = 0; e < n; e++) {
            const step = counts[e] > mean ? -Math.fround(rate) : counts[e] < mean ? Math.fround(rate) : 0;
            expect(updated[e]).toBe(Math.fround(Math.fround(bias[e]) + step));
          }
        },
      ),
    );
  });

  it('Megatron default rate 1e-3, counts from a routing', () => {
    const counts = tokensPerExpertOf(intTensor([0, 1, 0, 2, 0, 2], [3, 2]), 3);
    expect(Array.from(counts.data)).toEqual([3, 1, 2]);
    const updated = updateExpertBias(tensor([0, 0, 0], [3]), counts, 1e-3);
    expect(Array.from(updated.data)).toEqual([-Math.fround(1e-3), Math.fround(1e-3), 0]);
  });
});
