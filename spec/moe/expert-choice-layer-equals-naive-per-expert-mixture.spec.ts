// The expert-choice layer (router scores → each expert's top-c tokens → each expert once on its
// tokens → combine) equals a naive float64 evaluation of Zhou et al.'s formula, y_t = Σ over the
// experts e that took t of S[t, e]·E_e(x_t): its own choice wherever the float32 margins leave no doubt,
// and the layer's choice replayed otherwise. Permuting the tokens of each group permutes the outputs,
// the experts per token and the chosen tokens, bit for bit (when no exact tie lets the token index decide).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, tensor, type MoEConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expectClose, maxAbs } from '../helpers.js';
import { expertChoiceConfig, expertChoiceInput, expertChoiceShape, type ExpertChoiceShape } from '../router/expert-choice-arbitraries.js';
import { naiveExpertChoice } from './reference-routings.js';

const rowsOf = (data: Int32Array, width: number) => Array.from({ length: data.length / width }, (_, r) => Array.from(data.slice(r * width, (r + 1) * width)));

describe.each(SPEC_BACKENDS)('expert-choice layer ($name backend)', ({ kernels }) => {
  const { moeForward } = entryPointsOn(kernels);
  it('equals the naive per-expert float64 mixture (SwiGLU and ReLU experts, groups, router bias)', () => {
    fc.assert(
      fc.property(expertChoiceShape, fc.constantFrom<'swiglu' | 'relu'>('swiglu', 'relu'), (s: ExpertChoiceShape, kind) => {
        const config: MoEConfig = { ...expertChoiceConfig(s), expertKind: kind };
        const params = initMoEParams(config, s.seed);
        const x = expertChoiceInput(s);
        const out = moeForward(x, params, config);
        const choice = out.router.expertChoice!;
        const options = { numExperts: s.numExperts, capacity: s.capacity, groupSize: s.groupSize, kind, routerName: kind === 'swiglu' ? 'gate.weight' : 'router.classifier.weight', bias: s.bias };
        const layerChoice = rowsOf(choice.expertIndices.data, s.capacity);
        // Where every margin is clear of float32 rounding, the float64 reference chooses the same tokens.
        if (Array.from(choice.expertMargins.data).every((m) => m > 1e-5)) expect(naiveExpertChoice(x, params, options).chosen).toEqual(layerChoice);
        const naive = naiveExpertChoice(x, params, { ...options, replay: layerChoice });
        expectClose(out.output.data, naive.y, 64 * 2 ** -23 * (maxAbs(naive.y) + 1e-6) * Math.max(1, s.hidden, s.intermediate, s.numExperts) ** 0.5);
        expect(Array.from(out.tokensPerExpert.data)).toEqual(new Array(s.numExperts).fill(s.groups * s.capacity));
      }),
      { numRuns: 150 },
    );
  });

  it('permuting the tokens of each group permutes the outputs and the choice', () => {
    fc.assert(
      fc.property(
        expertChoiceShape.chain((s) => fc.tuple(fc.constant(s), fc.array(fc.shuffledSubarray(Array.from({ length: s.groupSize }, (_, i) => i), { minLength: s.groupSize, maxLength: s.groupSize }), { minLength: s.groups, maxLength: s.groups }))),
        ([s, perGroup]) => {
          const config = expertChoiceConfig(s);
          const params = initMoEParams(config, s.seed);
          const x = expertChoiceInput(s);
          const H = s.hidden;
          // New token i of group g is old token g·S + perm[i].
          const perm = perGroup.flatMap((p, g) => p.map((i) => g * s.groupSize + i));
          const xPermuted = tensor(perm.flatMap((t) => Array.from(x.data.slice(t * H, (t + 1) * H))), x.shape);
          const a = moeForward(x, params, config);
          if (Array.from(a.router.expertChoice!.expertMargins.data).some((m) => m === 0)) return; // an exact tie is broken by the token index
          const b = moeForward(xPermuted, params, config);
          perm.forEach((t, i) => {
            expect(Array.from(b.output.data.slice(i * H, (i + 1) * H))).toEqual(Array.from(a.output.data.slice(t * H, (t + 1) * H)));
            expect(b.router.expertChoice!.expertsPerToken.data[i]).toBe(a.router.expertChoice!.expertsPerToken.data[t]);
          });
          // Each expert's tokens, as sets (tokens tied inside a row keep index order, which the permutation changes).
          const newIndexOf = new Map(perm.map((t, i) => [t, i]));
          const sorted = (rows: number[][]) => rows.map((row) => [...row].sort((p, q) => p - q));
          const mapped = rowsOf(Int32Array.from(a.router.expertChoice!.expertIndices.data, (t) => newIndexOf.get(t)!), s.capacity);
          expect(sorted(rowsOf(b.router.expertChoice!.expertIndices.data, s.capacity))).toEqual(sorted(mapped));
        },
      ),
      { numRuns: 100 },
    );
  });
});
