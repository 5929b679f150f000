// Every loss's analytic gradient with respect to the logits agrees with a central finite difference of
// its float64 value: for each logit z, z± = fround(z ± h) with h = 2^-10 (the logits are float32, so the
// step actually taken is z+ − z−), fd = (L(z+) − L(z−)) / (z+ − z−). The routing (indices) is held fixed,
// as it is not differentiable. Error budget: truncation h²/6·|L'''| (≈ 2e-7 times the loss's scale
// here), float64 cancellation ≈ 1e-16·|L|/h, and the float32 rounding of the analytic gradient (2^-24
// relative): bound |g − fd| ≤ 1e-5·(1 + |L|) + 2^-22·|g|.
// A loss of softmax scores only is invariant to adding a constant to a token's logits, so its gradient
// sums to zero over the experts of each token (up to the float32 rounding of the N elements).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntTensor, LossResult, Tensor } from '../../src/index.js';
import { maxAbs } from '../helpers.js';
import { expertsOf, extrasOf, finiteDifferences, LOSSES, makeRouting, routingCase, tokensOf } from './loss-cases.js';

describe('loss gradients', () => {
  for (const named of LOSSES) {
    it(`${named.name}: the gradient equals a central finite difference (h = 2^-10)`, () => {
      fc.assert(
        fc.property(routingCase, (c) => {
          const { logits, indices } = makeRouting(c);
          const extra = extrasOf(c, indices);
          const run = (z: Tensor, i: IntTensor): LossResult => named.run(z, i, c, extra);
          const result = run(logits, indices);
          const fd = finiteDifferences(logits, (z) => run(z, indices).loss);
          result.gradLogits.data.forEach((g, i) => {
            expect(Math.abs(g - fd[i]), `element ${i}: ${g} vs ${fd[i]}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(result.loss)) + 2 ** -22 * Math.abs(g));
          });
          if (named.shiftInvariant) {
            const N = expertsOf(c);
            const bound = N * 2 ** -24 * maxAbs(result.gradLogits.data) + 1e-15;
            for (let t = 0; t < tokensOf(c); t++) {
              let sum = 0;
              for (let e = 0; e < N; e++) sum += result.gradLogits.data[t * N + e];
              expect(Math.abs(sum)).toBeLessThanOrEqual(bound);
            }
          }
        }),
        { numRuns: 25 },
      );
    });
  }
});
