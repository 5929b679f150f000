// Router properties: softmax scores are probabilities; 'sum' weights sum to 1 (times the routed
// scaling factor); softmax → top-k → renormalise equals softmax over the top-k logits (gpt-oss /
// Megatron order) up to float32 rounding; p-norm weights have unit p-norm; 'none' returns the raw
// scores; the score-correction bias changes selection only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, tensor, type RouterConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { moeShape, randomInput } from '../helpers.js';

function setup(s: { tokens: number; hidden: number; numExperts: number; seed: number }, scale = 1) {
  const params = initMoEParams({ hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: 1, router: { topK: 1, scoreCorrectionBias: true } }, s.seed);
  return { x: randomInput(s.tokens, s.hidden, s.seed, scale), weight: params['gate.weight'], bias: params['gate.e_score_correction_bias'] };
}

function rowsOf(data: Float32Array, width: number): number[][] {
  return Array.from({ length: data.length / width }, (_, r) => Array.from(data.slice(r * width, (r + 1) * width)));
}

describe.each(SPEC_BACKENDS)('router ($name backend)', ({ kernels }) => {
  const { route } = entryPointsOn(kernels);
  it('softmax scores are probabilities that sum to 1', () => {
    fc.assert(
      fc.property(moeShape, fc.constantFrom(1, 30), (s, scale) => {
        const { x, weight } = setup(s, scale);
        const out = route(x, { weight }, { topK: s.topK });
        for (const row of rowsOf(out.scores.data, s.numExperts)) {
          expect(row.every((p) => p >= 0 && p <= 1)).toBe(true);
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThanOrEqual(s.numExperts * 2 ** -24);
        }
      }),
    );
  });

  it("'sum' weights sum to the routed scaling factor", () => {
    fc.assert(
      fc.property(moeShape, fc.constantFrom<'softmax' | 'sigmoid'>('softmax', 'sigmoid'), fc.constantFrom(1, 2.5), (s, scoring, factor) => {
        const { x, weight } = setup(s);
        const out = route(x, { weight }, { topK: s.topK, scoring, normalization: 'sum', routedScalingFactor: factor });
        for (const row of rowsOf(out.topkWeights.data, s.topK)) {
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - factor)).toBeLessThanOrEqual(factor * s.topK * 2 ** -23);
        }
      }),
    );
  });

  it('softmax → top-k → renormalise equals softmax over the top-k logits (to float32 rounding)', () => {
    fc.assert(
      fc.property(moeShape, (s) => {
        const { x, weight } = setup(s, 3);
        const a = route(x, { weight }, { topK: s.topK, normalization: 'sum' });
        const b = route(x, { weight }, { topK: s.topK, normalization: 'softmax-topk' });
        expect(Array.from(a.topkIndices.data)).toEqual(Array.from(b.topkIndices.data));
        a.topkWeights.data.forEach((w, i) => expect(Math.abs(w - b.topkWeights.data[i])).toBeLessThanOrEqual(4 * 2 ** -24));
      }),
    );
  });

  it("'pnorm' weights have unit p-norm and 'none' weights are the raw scores", () => {
    fc.assert(
      fc.property(moeShape, fc.constantFrom(1, 2, 3), (s, p) => {
        const { x, weight } = setup(s);
        const normed = route(x, { weight }, { topK: s.topK, normalization: 'pnorm', pnormP: p });
        for (const row of rowsOf(normed.topkWeights.data, s.topK)) {
          expect(Math.abs(row.reduce((a, w) => a + Math.abs(w) ** p, 0) ** (1 / p) - 1)).toBeLessThanOrEqual(s.topK * 2 ** -22);
        }
        const raw = route(x, { weight }, { topK: s.topK, normalization: 'none' });
        raw.topkIndices.data.forEach((e, i) => {
          const t = Math.floor(i / s.topK);
          expect(raw.topkWeights.data[i]).toBe(raw.scores.data[t * s.numExperts + e]);
        });
      }),
    );
  });

  it('the score-correction bias steers selection only: weights come from unbiased scores', () => {
    fc.assert(
      fc.property(moeShape, (s) => {
        const { x, weight, bias } = setup(s);
        const options: RouterConfig = { topK: s.topK, scoring: 'sigmoid', normalization: 'none' };
        const out = route(x, { weight, scoreCorrectionBias: bias }, { ...options, scoreCorrectionBias: true });
        for (let t = 0; t < s.tokens; t++) {
          const biased = Array.from({ length: s.numExperts }, (_, e) => Math.fround(out.scores.data[t * s.numExperts + e] + bias.data[e]));
          const chosen = Array.from(out.topkIndices.data.slice(t * s.topK, (t + 1) * s.topK));
          const worstChosen = Math.min(...chosen.map((e) => biased[e]));
          biased.forEach((v, e) => { if (!chosen.includes(e)) expect(v).toBeLessThanOrEqual(worstChosen); });
          chosen.forEach((e, j) => expect(out.topkWeights.data[t * s.topK + j]).toBe(out.scores.data[t * s.numExperts + e]));
        }
      }),
    );
  });

  it('with k = 1 and renormalisation the weight is exactly 1 (Megatron #894)', () => {
    const out = route(tensor([0.3, -1], [1, 2]), { weight: tensor([1, 2, -1, 0.5, 0, 0], [3, 2]) }, { topK: 1 });
    expect(out.topkWeights.data[0]).toBe(1);
  });
});
