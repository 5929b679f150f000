// The Soft MoE layer (router on the backend → slot inputs Dᵀ·x → each expert on its S slots → C·Ỹ)
// equals a naive float64 transcription of Puigcerver et al.'s Algorithm 1 (with vmoe's normalisation in
// the 'normalized' form), to the float32 rounding of its steps, which grows with the logits' size (a
// softmax's relative error is about |logit|·2^-24). Permuting the tokens permutes the outputs and both
// weight matrices' rows (to float32 rounding: the slot inputs sum the tokens in another order). With one
// token, the dispatch weights are exactly 1 and each slot input is x itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expectClose, maxAbs, randomInput } from '../helpers.js';
import { softMoEConfig, softMoEParams, softMoEShape } from '../router/soft-moe-arbitraries.js';
import { naiveSoftMoE } from './reference-routings.js';

const permutationOf = (n: number) => fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });

describe.each(SPEC_BACKENDS)('Soft MoE layer ($name backend)', ({ kernels }) => {
  const { moeForward } = entryPointsOn(kernels);
  it("equals the paper's algorithm evaluated naively in float64 (both logit forms, SwiGLU and GELU experts)", () => {
    fc.assert(
      fc.property(softMoEShape, fc.constantFrom<'swiglu' | 'gelu'>('swiglu', 'gelu'), (s, kind) => {
        const config = softMoEConfig(s, kind);
        const params = softMoEParams(s, config);
        const x = randomInput(s.tokens, s.hidden, s.seed, s.inputScale);
        const out = moeForward(x, params, config);
        const naive = naiveSoftMoE(x, params, { numExperts: s.numExperts, slots: s.slots, kind, normalized: s.logits === 'normalized' });
        const logitScale = 1 + maxAbs(out.softMoE!.logits.data);
        const dims = Math.max(1, s.hidden, s.intermediate, s.tokens, s.numExperts * s.slots) ** 0.5;
        expectClose(out.softMoE!.dispatchWeights.data, naive.dispatch, 16 * 2 ** -24 * logitScale);
        expectClose(out.softMoE!.combineWeights.data, naive.combine, 16 * 2 ** -24 * logitScale);
        expectClose(out.output.data, naive.y, 64 * 2 ** -23 * logitScale * dims * (maxAbs(naive.y) + 1e-6));
        expect(Array.from(out.tokensPerExpert.data)).toEqual(new Array(s.numExperts).fill(s.slots));
        expect(out.router.topkIndices.shape).toEqual([s.tokens, 0]);
        expect(Array.from(out.router.margins.data).every((m) => m === Infinity)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('permuting tokens permutes the outputs and the rows of the dispatch and combine weights', () => {
    fc.assert(
      fc.property(softMoEShape.chain((s) => fc.tuple(fc.constant(s), permutationOf(s.tokens))), ([s, perm]) => {
        const config = softMoEConfig(s);
        const params = softMoEParams(s, config);
        const x = randomInput(s.tokens, s.hidden, s.seed, s.inputScale);
        const H = s.hidden;
        const ES = s.numExperts * s.slots;
        const xPermuted = tensor(perm.flatMap((t) => Array.from(x.data.slice(t * H, (t + 1) * H))), x.shape);
        const a = moeForward(x, params, config);
        const b = moeForward(xPermuted, params, config);
        const rows = (data: Float32Array, width: number) => perm.flatMap((t) => Array.from(data.slice(t * width, (t + 1) * width)));
        const logitScale = 1 + maxAbs(a.softMoE!.logits.data);
        // The combine weights are a softmax of each token's own row: permuted bit for bit.
        expect(Array.from(b.softMoE!.combineWeights.data)).toEqual(rows(a.softMoE!.combineWeights.data, ES));
        expectClose(b.softMoE!.dispatchWeights.data, rows(a.softMoE!.dispatchWeights.data, ES), 8 * 2 ** -24 * logitScale);
        expectClose(b.output.data, rows(a.output.data, H), 64 * 2 ** -23 * logitScale * Math.max(1, s.tokens, s.hidden) ** 0.5 * (maxAbs(a.output.data) + 1e-6));
      }),
      { numRuns: 100 },
    );
  });

  it('one token: every dispatch weight is 1 and every slot input is x', () => {
    fc.assert(
      fc.property(softMoEShape, (s) => {
        const config = softMoEConfig(s);
        const x = randomInput(1, s.hidden, s.seed, s.inputScale);
        const out = moeForward(x, softMoEParams(s, config), config);
        expect(Array.from(out.softMoE!.dispatchWeights.data).every((d) => d === 1)).toBe(true);
        for (let slot = 0; slot < s.numExperts * s.slots; slot++) expect(Array.from(out.softMoE!.slotInputs.data.slice(slot * s.hidden, (slot + 1) * s.hidden))).toEqual(Array.from(x.data));
      }),
      { numRuns: 50 },
    );
  });
});
