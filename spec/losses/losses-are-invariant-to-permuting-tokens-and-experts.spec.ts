// Every loss depends on the routing only through per-group, per-expert sums over tokens, so reordering
// tokens within their groups leaves it unchanged (and moves the gradient rows with the tokens), and
// relabelling experts consistently (columns of the logits, the indices, Megatron's global counts;
// whole devices and the same order inside each device for the DeepSeek-V2 device losses) leaves it
// unchanged too (and permutes the gradient columns). Float64 sums in another order: relative 1e-12;
// the float32 gradient: 2^-22 relative plus 1e-12 of its largest element (rows that cancel to ~0)
// plus 1e-14 of the loss (a loss that is constant, as the device loss with one device, has gradient ~1e-16).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intTensor, tensor } from '../../src/index.js';
import { maxAbs } from '../helpers.js';
import { expertsOf, extrasOf, LOSSES, makeRouting, routingCase, tokensOf, type Layout, type RoutingCase } from './loss-cases.js';

/** Token t of the permuted input is token sourceOf[t] of the original; positions inside each group move by `perm`. */
function tokenSource(c: RoutingCase, layout: Layout, perm: number[]): number[] {
  const T = tokensOf(c);
  if (layout === 'one') return Array.from({ length: T }, (_, t) => perm[t]);
  const S = c.perGroup;
  const G = c.groups;
  return Array.from({ length: T }, (_, t) => (layout === 'consecutive' ? Math.floor(t / S) * S + perm[t % S] : perm[Math.floor(t / G)] * G + (t % G)));
}

const permutationOf = (n: number) => fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });

describe('losses are invariant to permuting tokens and experts', () => {
  for (const named of LOSSES) {
    it(`${named.name}: reordering tokens within groups and relabelling experts keep the loss`, () => {
      fc.assert(
        fc.property(
          routingCase.chain((c) => fc.record({ c: fc.constant(c), tokens: permutationOf(named.layout === 'one' ? tokensOf(c) : c.perGroup), devicePerm: permutationOf(c.devices), innerPerm: permutationOf(c.perDevice) })),
          ({ c, tokens, devicePerm, innerPerm }) => {
            const { logits, indices } = makeRouting(c);
            const extra = extrasOf(c, indices);
            const T = tokensOf(c);
            const N = expertsOf(c);
            const k = c.k;
            const reference = named.run(logits, indices, c, extra);

            const source = tokenSource(c, named.layout, tokens);
            const pLogits = new Float32Array(T * N);
            const pIndices = new Int32Array(T * k);
            source.forEach((s, t) => {
              pLogits.set(logits.data.subarray(s * N, (s + 1) * N), t * N);
              pIndices.set(indices.data.subarray(s * k, (s + 1) * k), t * k);
            });
            const byTokens = named.run(tensor(pLogits, [T, N]), intTensor(pIndices, [T, k]), c, extra);
            expect(byTokens.loss).toBeCloseTo(reference.loss, 12);
            source.forEach((s, t) => expect(Array.from(byTokens.gradLogits.data.subarray(t * N, (t + 1) * N))).toEqual(Array.from(reference.gradLogits.data.subarray(s * N, (s + 1) * N))));

            const relabel = (e: number) => devicePerm[Math.floor(e / c.perDevice)] * c.perDevice + innerPerm[e % c.perDevice];
            const eLogits = new Float32Array(T * N);
            for (let t = 0; t < T; t++) for (let e = 0; e < N; e++) eLogits[t * N + relabel(e)] = logits.data[t * N + e];
            const eCounts = new Float32Array(N);
            for (let e = 0; e < N; e++) eCounts[relabel(e)] = extra.globalCounts.data[e];
            const byExperts = named.run(tensor(eLogits, [T, N]), intTensor(Int32Array.from(indices.data, relabel), [T, k]), c, { ...extra, globalCounts: tensor(eCounts, [N]) });
            expect(Math.abs(byExperts.loss - reference.loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(reference.loss)));
            const scale = maxAbs(reference.gradLogits.data);
            for (let t = 0; t < T; t++) for (let e = 0; e < N; e++) {
              // float32 rounding of each element, plus float64 cancellation in (g_e − Σ_j p_j g_j) on the tensor's scale
              expect(Math.abs(byExperts.gradLogits.data[t * N + relabel(e)] - reference.gradLogits.data[t * N + e])).toBeLessThanOrEqual(2 ** -22 * Math.abs(reference.gradLogits.data[t * N + e]) + 1e-12 * scale + 1e-14 * Math.max(1, Math.abs(reference.loss)));
            }
          },
        ),
        { numRuns: 30 },
      );
    });
  }
});
