// RoPE encodes relative position: shifting every position by the same offset leaves the attention
// weights unchanged (and so the output), for every layout and YaRN setting. And the 'hf-interleave'
// layout (Hugging Face DeepseekV3, rope_interleave) gives the attention of DeepSeek's 'interleaved' one.
//
// Tolerance, derived: in exact arithmetic (R(p+o)q)·(R(p'+o)k) = (R(p)q)·(R(p')k). In float32 each
// rotated feature is rounded once (relative 2^-24 of a pair's norm; the float64 angle p·θ and its
// cos/sin are exact to ~2^-53 · p·θ, negligible for p < 2^20) and each score once, so a score moves
// by at most about 4·2^-24·Σ|q_i||k_i| and, with scale·Σ|q_i||k_i| ≤ 16 for the unit-scale inputs and
// ±1/√fan_in weights here, a probability p by at most p·2·16·4·2^-24 (the softmax's relative
// sensitivity is twice the largest score change) plus its own rounding: |Δp| ≤ 2^-17·p + 2^-23.
// A wrong rotation (absolute instead of relative phase) moves p by O(p), far beyond that.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, type AttentionConfig } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { anyConfig, attentionCase, materialise } from './arbitraries.js';

const closeProbabilities = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const allowed = 2 ** -17 * expected[i] + 2 ** -23;
    if (!(Math.abs(actual[i] - expected[i]) <= allowed)) throw new Error(`weight ${i}: ${actual[i]} vs ${expected[i]} (allowed ${allowed})`);
  }
};

describe.each(SPEC_BACKENDS)('RoPE is relative ($name backend)', ({ kernels }) => {
  it('shifting all positions by one offset leaves the attention weights unchanged', () => {
    fc.assert(
      fc.property(attentionCase(anyConfig), fc.integer({ min: 1, max: 100000 }), (c, offset) => {
        const { params, x } = materialise(c);
        const a = attention(x, params, c.config, { backend: kernels });
        const b = attention(x, params, c.config, { backend: kernels, positionOffset: offset });
        closeProbabilities(b.attentionWeights.data, a.attentionWeights.data);
      }),
      { numRuns: 60 },
    );
  });

  it("the 'hf-interleave' layout attends as the 'interleaved' one (its features are a permutation)", () => {
    fc.assert(
      fc.property(attentionCase(anyConfig), (c) => {
        if (c.config.rope === null) return;
        const withLayout = (layout: 'interleaved' | 'hf-interleave') => ({ ...c.config, rope: { ...c.config.rope, layout } }) as AttentionConfig;
        const { params, x } = materialise(c);
        const a = attention(x, params, withLayout('interleaved'), { backend: kernels });
        const b = attention(x, params, withLayout('hf-interleave'), { backend: kernels });
        // the same products summed in another order: within float32 rounding of the scores
        closeProbabilities(b.attentionWeights.data, a.attentionWeights.data);
      }),
      { numRuns: 40 },
    );
  });
});
