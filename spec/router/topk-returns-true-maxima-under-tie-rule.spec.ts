// top-k must return the k largest scores, descending, ties broken by the lower index, and the
// margin between the k-th and (k+1)-th; checked against a brute-force definition on logits with
// many exact ties and ±1e4 values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, topK } from '../../src/index.js';
import { tiedLogits } from '../helpers.js';

describe('topK', () => {
  it('selects exactly the entries that beat every unselected one under (value desc, index asc)', () => {
    fc.assert(
      fc.property(tiedLogits, ({ tokens, columns, values, k }) => {
        const result = topK(tensor(values, [tokens, columns]), k);
        for (let t = 0; t < tokens; t++) {
          const row = values.slice(t * columns, (t + 1) * columns).map(Math.fround);
          const chosen = Array.from(result.indices.data.slice(t * k, (t + 1) * k));
          // "a precedes b" in the pinned order
          const precedes = (a: number, b: number) => row[a] > row[b] || (row[a] === row[b] && a < b);
          for (let j = 0; j + 1 < k; j++) expect(precedes(chosen[j], chosen[j + 1])).toBe(true);
          for (let c = 0; c < columns; c++) {
            if (chosen.includes(c)) continue;
            for (const s of chosen) expect(precedes(s, c)).toBe(true);
          }
          chosen.forEach((e, j) => expect(result.values.data[t * k + j]).toBe(row[e]));
          const rest = row.filter((_, c) => !chosen.includes(c));
          const expectedMargin = rest.length === 0 ? Infinity : row[chosen[k - 1]] - Math.max(...rest);
          expect(result.margins.data[t]).toBe(Math.fround(expectedMargin));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('breaks an exact tie by the lower expert index, with margin 0', () => {
    const r = topK(tensor([1, 5, 5, 5, 0], [1, 5]), 2);
    expect(Array.from(r.indices.data)).toEqual([1, 2]);
    expect(r.margins.data[0]).toBe(0);
  });
});
