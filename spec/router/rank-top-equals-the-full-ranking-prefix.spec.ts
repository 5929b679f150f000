// topK selects by partial selection (`rankTop`), not a full sort: its result must be exactly the first
// entries of the full ranking `rankDescending` (descending value, ties by lower index), on rows full of
// exact ties and −Infinity entries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankDescending, rankTop } from '../../src/router/topk.js';

describe('rankTop', () => {
  it('equals the first `count` entries of the full ranking, ties and −Infinity included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(-Infinity, -1e4, -2, 0, 0.5, 3, 1e4), { minLength: 1, maxLength: 40 }).chain((row) => fc.tuple(fc.constant(row), fc.integer({ min: 1, max: row.length }))),
        ([row, count]) => {
          expect(Array.from(rankTop(row, count))).toEqual(rankDescending(row).slice(0, count));
        },
      ),
      { numRuns: 500 },
    );
  });
});
