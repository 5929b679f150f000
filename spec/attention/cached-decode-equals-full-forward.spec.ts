// Prefill then token-by-token decoding with a latent (MLA) or key/value (MHA/GQA/MQA) cache gives the
// outputs of one forward pass over the whole sequence, in each MLA form.
//
// Tolerance, derived: zero (bit-identical). Every kernel computes each output row from that row's own
// inputs only (linear, rmsNorm, rope, splitHeads: per token; batchedMatmul: per element), and a
// decode step recomputes no key: it reads the cache rows the earlier calls appended, which are the very
// float32 values a full pass computes for those tokens. The softmax over L keys of a full pass sees the
// later keys as masked (−Infinity → exp gives exactly 0), so its max and its float64 sum (adding exact
// zeros) are those of the shorter decode row; the weighted sum then adds 0·v terms, which change no sum.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, createAttentionCache, MLA_FORMS } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { anyConfig, attentionCase, materialise, rowsOf } from './arbitraries.js';

/** Splits T tokens into a prefill and decode steps: chunk sizes drawn by fast-check. */
const chunking = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 7 });

describe.each(SPEC_BACKENDS)('cached decoding equals the full forward pass ($name backend)', ({ kernels }) => {
  it.each(MLA_FORMS)('%s form (MLA), and MHA / GQA / MQA: bit for bit, outputs and attention weights', (form) => {
    fc.assert(
      fc.property(attentionCase(anyConfig), chunking, (c, chunks) => {
        if (c.config.kind !== 'mla' && form === 'absorbed') return;
        const { params, x } = materialise(c);
        const full = attention(x, params, c.config, { backend: kernels, form });
        const cache = createAttentionCache(c.config, { capacity: c.tokens });
        const n = c.config.numHeads;
        let t = 0;
        for (const size of chunks) {
          if (t >= c.tokens) break;
          const end = Math.min(c.tokens, t + size);
          const step = attention(rowsOf(x, t, end), params, c.config, { backend: kernels, form, cache });
          const H = c.config.hiddenSize;
          expect(Array.from(step.output.data)).toEqual(Array.from(full.output.data.slice(t * H, end * H)));
          // weights [n, end − t, end] against the full [n, T, T] rows t…end−1, columns < end (the rest are 0)
          for (let h = 0; h < n; h++) {
            for (let r = t; r < end; r++) {
              const fullRow = full.attentionWeights.data.slice((h * c.tokens + r) * c.tokens, (h * c.tokens + r + 1) * c.tokens);
              const stepRow = step.attentionWeights.data.slice((h * (end - t) + r - t) * end, (h * (end - t) + r - t + 1) * end);
              expect(Array.from(stepRow)).toEqual(Array.from(fullRow.slice(0, end)));
              expect(Array.from(fullRow.slice(end)).every((p) => p === 0)).toBe(true);
            }
          }
          t = end;
        }
        expect(cache.length).toBe(t);
      }),
      { numRuns: 40 },
    );
  });
});
