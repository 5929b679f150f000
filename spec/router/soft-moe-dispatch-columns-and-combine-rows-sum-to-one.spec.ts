// Soft MoE's router (Puigcerver et al. 2023; vmoe SoftRouter): the dispatch weights are a softmax over
// the tokens, so each column (slot) sums to 1; the combine weights a softmax over the slots, so each row
// (token) sums to 1; every weight lies in [0, 1]. Each sum holds to the float32 rounding of its terms
// ((n + 1)·2^-24). Both forms of the logits, any scale, on every synchronous backend; and the routing
// is the same whether it runs alone (softMoERoute) or inside the layer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moeForward, softMoERoute } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { randomInput } from '../helpers.js';
import { softMoEConfig, softMoEParams, softMoEShape } from './soft-moe-arbitraries.js';

describe.each(SPEC_BACKENDS)('Soft MoE router ($name backend)', ({ kernels }) => {
  it('dispatch columns and combine rows each sum to 1', () => {
    fc.assert(
      fc.property(softMoEShape, (s) => {
        const config = softMoEConfig(s);
        const params = softMoEParams(s, config);
        const x = randomInput(s.tokens, s.hidden, s.seed, s.inputScale);
        const routing = softMoERoute(x, { mu: params['router.mu'], scale: params['router.scale'] }, { slotsPerExpert: s.slots, logits: s.logits }, { backend: kernels });
        const ES = s.numExperts * s.slots;
        expect(routing.dispatchWeights.shape).toEqual([s.tokens, ES]);
        const D = routing.dispatchWeights.data;
        const C = routing.combineWeights.data;
        for (const w of [...D, ...C]) expect(w >= 0 && w <= 1).toBe(true);
        for (let slot = 0; slot < ES; slot++) {
          let column = 0;
          for (let t = 0; t < s.tokens; t++) column += D[t * ES + slot];
          expect(Math.abs(column - 1)).toBeLessThanOrEqual((s.tokens + 1) * 2 ** -24);
        }
        for (let t = 0; t < s.tokens; t++) {
          let row = 0;
          for (let slot = 0; slot < ES; slot++) row += C[t * ES + slot];
          expect(Math.abs(row - 1)).toBeLessThanOrEqual((ES + 1) * 2 ** -24);
        }
        const layer = moeForward(x, params, config, { backend: kernels }).softMoE!;
        expect(Array.from(layer.dispatchWeights.data)).toEqual(Array.from(D));
        expect(Array.from(layer.combineWeights.data)).toEqual(Array.from(C));
      }),
      { numRuns: 200 },
    );
  });
});
