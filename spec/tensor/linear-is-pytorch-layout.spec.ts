import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoEOracleError, tensor } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';

describe.each(SPEC_BACKENDS)('linear ($name backend)', ({ kernels }) => {
  const { linear, rmsNorm } = entryPointsOn(kernels);
  it('computes y = x·Wᵀ + b with weight [out, in] (hand-checked)', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const w = tensor([1, 0, 0, 0, 1, 1], [2, 3]); // out 0 = x0, out 1 = x1 + x2
    const y = linear(x, w, tensor([10, 20], [2]));
    expect(Array.from(y.data)).toEqual([11, 25, 14, 31]);
    expect(y.shape).toEqual([2, 2]);
  });

  it('is exact on small integers, where float64 accumulation has no rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.infiniteStream(fc.integer({ min: -50, max: 50 })), (T, I, O, s) => {
        const xs = Array.from({ length: T * I }, () => s.next().value as number);
        const ws = Array.from({ length: O * I }, () => s.next().value as number);
        const y = linear(tensor(xs, [T, I]), tensor(ws, [O, I])).data;
        for (let t = 0; t < T; t++)
          for (let o = 0; o < O; o++) {
            let dot = 0;
            for (let i = 0; i < I; i++) dot += xs[t * I + i] * ws[o * I + i];
            expect(y[t * O + o]).toBe(dot);
          }
      }),
    );
  });

  it('rejects mismatched shapes naming the argument', () => {
    expect(() => linear(tensor([1, 2], [1, 2]), tensor([1, 2, 3], [1, 3]))).toThrow(/weight: expected shape \[out, 2\], got \[1, 3\]/);
    expect(() => linear(tensor([1, 2], [1, 2]), tensor([1, 2], [1, 2]), tensor([1, 2], [2]))).toThrow(MoEOracleError);
  });
});

describe.each(SPEC_BACKENDS)('rmsNorm ($name backend)', ({ kernels }) => {
  const { linear, rmsNorm } = entryPointsOn(kernels);
  it('gives unit root-mean-square rows when the weight is 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 16 }), fc.infiniteStream(fc.float({ min: -100, max: 100, noNaN: true })), (T, H, s) => {
        const xs = Array.from({ length: T * H }, () => s.next().value as number);
        for (let t = 0; t < T; t++) xs[t * H] = 1 + Math.abs(xs[t * H]); // keep rows away from zero
        const y = rmsNorm(tensor(xs, [T, H]), tensor(new Array(H).fill(1), [H]), 0).data;
        for (let t = 0; t < T; t++) {
          let sq = 0;
          for (let h = 0; h < H; h++) sq += y[t * H + h] ** 2;
          expect(Math.abs(Math.sqrt(sq / H) - 1)).toBeLessThan(1e-6);
        }
      }),
    );
  });
});
