import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoEOracleError, tensor } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';

describe.each(SPEC_BACKENDS)('softmax and log-sum-exp ($name backend)', ({ kernels }) => {
  const { softmax, logSumExp } = entryPointsOn(kernels);
  it('give rows summing to 1 (float32 rounding only) for logits up to ±1e4 and -Infinity masks', () => {
    const logit = fc.oneof(fc.float({ min: -1e4, max: 1e4, noNaN: true }), fc.constant(-Infinity));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 12 }), fc.infiniteStream(logit), (rows, columns, stream) => {
        const values = Array.from({ length: rows * columns }, () => stream.next().value as number);
        for (let r = 0; r < rows; r++) values[r * columns] = Math.max(values[r * columns], -1e4); // one finite per row
        const p = softmax(tensor(values, [rows, columns])).data;
        const lse = logSumExp(tensor(values, [rows, columns])).data;
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < columns; c++) {
            const v = p[r * columns + c];
            expect(Number.isFinite(v) && v >= 0 && v <= 1).toBe(true);
            if (values[r * columns + c] === -Infinity) expect(v).toBe(0);
            sum += v;
          }
          expect(Math.abs(sum - 1)).toBeLessThanOrEqual(columns * 2 ** -24);
          expect(Number.isFinite(lse[r])).toBe(true);
          expect(lse[r]).toBeGreaterThanOrEqual(Math.fround(Math.max(...values.slice(r * columns, (r + 1) * columns))));
        }
      }),
    );
  });

  it('is exact on a hand-checked case', () => {
    // softmax([0, ln 3]) = [1/4, 3/4]; logsumexp = ln 4
    const p = softmax(tensor([0, Math.log(3)], [1, 2])).data;
    expect(p[0]).toBe(Math.fround(0.25));
    expect(p[1]).toBe(Math.fround(0.75));
    expect(logSumExp(tensor([0, Math.log(3)], [1, 2])).data[0]).toBe(Math.fround(Math.log(4)));
  });

  it('rejects NaN, +Infinity and all -Infinity rows with MoEOracleError', () => {
    for (const bad of [[NaN, 0], [Infinity, 0], [-Infinity, -Infinity]]) {
      expect(() => softmax(tensor(bad, [1, 2]))).toThrow(MoEOracleError);
      expect(() => logSumExp(tensor(bad, [1, 2]))).toThrow(MoEOracleError);
    }
  });
});
