// A paged cache (blocks of any size found through any block table, as FlashMLA and vLLM keep them) gives
// exactly the outputs and the cached values of a contiguous cache: the paging is addressing only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, cacheContents, createAttentionCache, createPagedAttentionCache } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { anyConfig, attentionCase, materialise, rowsOf } from './arbitraries.js';

describe.each(SPEC_BACKENDS)('paged cache equals contiguous cache ($name backend)', ({ kernels }) => {
  it('for any block size, block table and spare blocks: same outputs, same cached rows', () => {
    fc.assert(
      fc.property(
        attentionCase(anyConfig, 8),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('naive' as const, 'absorbed' as const),
        (c, blockSize, spare, prefill, form) => {
          const mlaForm = c.config.kind === 'mla' ? form : 'naive';
          const { params, x } = materialise(c);
          const logicalBlocks = Math.ceil(c.tokens / blockSize);
          const numBlocks = logicalBlocks + spare;
          // a block table that scatters the sequence over the pool: a permutation drawn from the seed
          const order = Array.from({ length: numBlocks }, (_, i) => i).sort((a, b) => ((a * 2654435761 + c.seed) % 97) - ((b * 2654435761 + c.seed) % 97) || a - b);
          const paged = createPagedAttentionCache(c.config, { blockSize, numBlocks, blockTable: order.slice(0, logicalBlocks) });
          const contiguous = createAttentionCache(c.config, { capacity: c.tokens });
          const first = Math.min(prefill, c.tokens);
          const steps: [number, number][] = [[0, first]];
          for (let t = first; t < c.tokens; t++) steps.push([t, t + 1]);
          for (const [from, to] of steps) {
            const a = attention(rowsOf(x, from, to), params, c.config, { backend: kernels, cache: contiguous, form: mlaForm });
            const b = attention(rowsOf(x, from, to), params, c.config, { backend: kernels, cache: paged, form: mlaForm });
            expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
            expect(Array.from(b.attentionWeights.data)).toEqual(Array.from(a.attentionWeights.data));
          }
          const [pagedParts, contiguousParts] = [cacheContents(paged), cacheContents(contiguous)];
          for (const name of Object.keys(contiguousParts)) expect(Array.from(pagedParts[name].data)).toEqual(Array.from(contiguousParts[name].data));
          // the documented layout (vLLM, FlashMLA): token t is row blockTable[⌊t/b⌋]·b + t mod b of the pool
          const width = contiguous.layout.rowWidth;
          for (let t = 0; t < c.tokens; t++) {
            const row = paged.blockTable[Math.floor(t / blockSize)] * blockSize + (t % blockSize);
            expect(Array.from(paged.pool.subarray(row * width, (row + 1) * width))).toEqual(Array.from(contiguous.rows.subarray(t * width, (t + 1) * width)));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
