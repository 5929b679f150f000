// HF `load_balancing_loss_func` with an attention mask [B, S] leaves padded tokens out of both means,
// in every layer: so it equals the unmasked loss over the unpadded tokens alone (all layers' tokens
// concatenated, T = layers·B·S), and its gradient is that loss's gradient on those tokens and 0 on
// padded ones. Also HF's own test: padding a batch must not change the loss.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intTensor, loadBalancingLoss, tensor } from '../../src/index.js';
import { makeRouting } from './loss-cases.js';

describe('masked Mixtral loss', () => {
  it('equals the unmasked loss on the unpadded tokens; padded tokens get zero gradient', () => {
    fc.assert(
      fc.property(
        fc.record({ layers: fc.integer({ min: 1, max: 3 }), batch: fc.integer({ min: 1, max: 3 }), sequence: fc.integer({ min: 1, max: 5 }), experts: fc.integer({ min: 2, max: 8 }), seed: fc.integer({ min: 0, max: 0xffffffff }) })
          .chain((s) => fc.record({ s: fc.constant(s), k: fc.integer({ min: 1, max: Math.min(3, s.experts) }), mask: fc.array(fc.constantFrom(0, 1), { minLength: s.batch * s.sequence, maxLength: s.batch * s.sequence }).filter((m) => m.includes(1)) })),
        ({ s, k, mask }) => {
          const perLayer = s.batch * s.sequence;
          const T = s.layers * perLayer;
          const N = s.experts;
          const { logits, indices } = makeRouting({ groups: 1, perGroup: T, devices: 1, perDevice: N, k, seed: s.seed, scale: 2 });
          const masked = loadBalancingLoss(logits, indices, { variant: 'hf-mixtral', attentionMask: intTensor(mask, [s.batch, s.sequence]) });
          const kept = Array.from({ length: T }, (_, t) => t).filter((t) => mask[t % perLayer] === 1);
          const keptLogits = new Float32Array(kept.length * N);
          const keptIndices = new Int32Array(kept.length * k);
          kept.forEach((t, i) => {
            keptLogits.set(logits.data.subarray(t * N, (t + 1) * N), i * N);
            keptIndices.set(indices.data.subarray(t * k, (t + 1) * k), i * k);
          });
          const unmasked = loadBalancingLoss(tensor(keptLogits, [kept.length, N]), intTensor(keptIndices, [kept.length, k]), { variant: 'hf-mixtral' });
          expect(Math.abs(masked.loss - unmasked.loss)).toBeLessThanOrEqual(1e-13 * Math.max(1, unmasked.loss));
          kept.forEach((t, i) => {
            for (let e = 0; e < N; e++) expect(masked.gradLogits.data[t * N + e]).toBe(unmasked.gradLogits.data[i * N + e]);
          });
          for (let t = 0; t < T; t++) if (mask[t % perLayer] === 0) for (let e = 0; e < N; e++) expect(masked.gradLogits.data[t * N + e]).toBe(0);
        },
      ),
    );
  });
});
