// MLA's weight-absorbed form (DeepSeek "absorb") equals its naive form (DeepSeek "naive", Hugging Face),
// for every config, RoPE layout and YaRN setting, with and without a cache.
//
// Tolerance, derived: in exact arithmetic the forms are the same function (q_nope·(W_UK c) = (q_nope W_UK)·c
// and Σ_t p_t W_UV c_t = W_UV Σ_t p_t c_t). Every kernel sums in float64 and rounds its output to float32
// once, so the forms differ only by the float32 roundings they do not share: naive rounds k_nope = W_UK c,
// v = W_UV c and P·V; absorbed rounds q̃ = q_nope W_UK, P·c_KV and (P·c_KV) W_UVᵀ. Each is a relative error
// ≤ 2^-24 of one element; it moves the scores by ≤ 2^-24 of Σ|q||k| and, through the softmax and the two
// weighted sums that follow, the output by a few such units on the scale of the output. The project's
// tolerance model (src/golden/tolerance.ts: rtol = 4·(2^-23 + √K·2^-24), atol = rtol · RMS(y)) with K
// the sum of the reduction lengths on the chain (`attentionReductionLength`) bounds that with room to
// spare for the unit-scale inputs and ±1/√fan_in weights used here (scale · |scores| stays O(1), so the
// softmax does not amplify the score errors); the attention weights get the same model with K the
// scores' chain alone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, createAttentionCache } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { attentionCase, attentionReductionLength, expectWithinModel, materialise, mlaConfig, rowsOf } from './arbitraries.js';

describe.each(SPEC_BACKENDS)('MLA absorbed form equals the naive form ($name backend)', ({ kernels }) => {
  it('on the whole sequence: output and attention weights within the derived tolerance', () => {
    fc.assert(
      fc.property(attentionCase(mlaConfig), (c) => {
        const { params, x } = materialise(c);
        const naive = attention(x, params, c.config, { backend: kernels });
        const absorbed = attention(x, params, c.config, { backend: kernels, form: 'absorbed' });
        expectWithinModel(absorbed.output.data, naive.output.data, attentionReductionLength(c.config, c.tokens));
        expectWithinModel(absorbed.attentionWeights.data, naive.attentionWeights.data, attentionReductionLength(c.config, c.tokens) - c.config.numHeads * c.config.vHeadDim);
      }),
      { numRuns: 60 },
    );
  });

  it('while decoding from a cache filled by the other form (the cache rows are the same)', () => {
    fc.assert(
      fc.property(attentionCase(mlaConfig, 6), fc.integer({ min: 1, max: 5 }), (c, prefill) => {
        fc.pre(prefill < c.tokens);
        const { params, x } = materialise(c);
        const naiveCache = createAttentionCache(c.config, { capacity: c.tokens });
        const mixedCache = createAttentionCache(c.config, { capacity: c.tokens });
        attention(rowsOf(x, 0, prefill), params, c.config, { backend: kernels, cache: naiveCache });
        attention(rowsOf(x, 0, prefill), params, c.config, { backend: kernels, cache: mixedCache });
        for (let t = prefill; t < c.tokens; t++) {
          const naive = attention(rowsOf(x, t, t + 1), params, c.config, { backend: kernels, cache: naiveCache });
          const absorbed = attention(rowsOf(x, t, t + 1), params, c.config, { backend: kernels, cache: mixedCache, form: 'absorbed' });
          expectWithinModel(absorbed.output.data, naive.output.data, attentionReductionLength(c.config, t + 1));
        }
        expect(Array.from(mixedCache.rows)).toEqual(Array.from(naiveCache.rows));
      }),
      { numRuns: 30 },
    );
  });
});
