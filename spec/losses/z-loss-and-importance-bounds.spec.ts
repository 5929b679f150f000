// Router z-loss is a mean of squares, so ≥ 0, and for zero logits every lse is log N, so it equals
// (log N)² (times α). The importance loss (CV²) is 0 when every expert has the same importance (zero
// logits: each expert's importance is T/N), and N − 1 with population variance when one expert holds
// all of it: μ = I/N, V = (I² − I²/N)/N → V/μ² = N − 1 (the 'vmoe' and 'shazeer' sources).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importanceLoss, intTensor, routerZLoss, tensor } from '../../src/index.js';
import { makeRouting, routingCase, tokensOf, expertsOf } from './loss-cases.js';

describe('router z-loss and importance loss bounds', () => {
  it('z-loss ≥ 0, and (log N)²·α for zero logits', () => {
    fc.assert(
      fc.property(routingCase, fc.constantFrom(1, 1e-3), (c, alpha) => {
        const { logits } = makeRouting(c);
        expect(routerZLoss(logits, { coefficient: 1 }).loss).toBeGreaterThanOrEqual(0);
        const T = tokensOf(c);
        const N = expertsOf(c);
        const zero = tensor(new Float32Array(T * N), [T, N]);
        expect(routerZLoss(zero, { coefficient: alpha }).loss).toBeCloseTo(alpha * Math.log(N) ** 2, 14);
      }),
    );
  });

  it('CV² of importance is 0 for equal importance and N − 1 when one expert holds it all', () => {
    fc.assert(
      fc.property(routingCase, (c) => {
        const T = tokensOf(c);
        const N = expertsOf(c);
        const zero = tensor(new Float32Array(T * N), [T, N]);
        for (const source of ['vmoe', 'tutel'] as const) expect(importanceLoss(zero, { source }).loss).toBeCloseTo(0, 14);
        const spread = intTensor(Array.from({ length: T * c.k }, (_, i) => (Math.floor(i / c.k) + (i % c.k)) % N), [T, c.k]);
        if (T % N === 0) expect(importanceLoss(zero, { source: 'shazeer', topkIndices: spread }).loss).toBeCloseTo(0, 14);
        const collapsed = new Float32Array(T * N).fill(-60);
        for (let t = 0; t < T; t++) collapsed[t * N] = 60;
        expect(importanceLoss(tensor(collapsed, [T, N]), { source: 'vmoe' }).loss).toBeCloseTo(N - 1, 10);
        const { logits } = makeRouting(c);
        const loss = importanceLoss(logits, { source: 'vmoe' }).loss;
        expect(loss).toBeGreaterThanOrEqual(0);
        expect(loss).toBeLessThanOrEqual(N - 1 + 1e-9);
      }),
    );
  });
});
