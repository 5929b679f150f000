// The batched layer (route → dispatch → expert batches → combine) must equal a naive per-token
// float64 evaluation of the same formula, to the accumulated float32 rounding of its steps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, type MoEConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expectClose, maxAbs, moeShape, randomInput } from '../helpers.js';
import { naiveMixture } from './reference-mixture.js';

describe.each(SPEC_BACKENDS)('MoE layer ($name backend)', ({ kernels }) => {
  const { moeForward } = entryPointsOn(kernels);
  it('equals the naive per-token mixture (softmax/sigmoid, sum/none, scaling, dense, FFN experts)', () => {
    fc.assert(
      fc.property(
        moeShape,
        fc.constantFrom<'softmax' | 'sigmoid'>('softmax', 'sigmoid'),
        fc.constantFrom<'sum' | 'none'>('sum', 'none'),
        fc.constantFrom(1, 2.5),
        fc.constantFrom<'sparse' | 'dense'>('sparse', 'dense'),
        fc.constantFrom<'swiglu' | 'relu' | 'gelu' | 'gelu-tanh'>('swiglu', 'relu', 'gelu', 'gelu-tanh'),
        (s, scoring, normalization, routedScalingFactor, mode, expertKind) => {
          const config: MoEConfig = {
            hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate,
            router: { topK: s.topK, scoring, normalization, routedScalingFactor }, mode, expertKind,
          };
          const params = initMoEParams(config, s.seed);
          const x = randomInput(s.tokens, s.hidden, s.seed);
          const layer = moeForward(x, params, config);
          const naive =
            expertKind === 'swiglu'
              ? naiveMixture(x, params, config)
              : naiveMixture(x, params, config, (e, m) => `experts.expert_${e}.${m}.weight`, 'router.classifier.weight');
          // Skip tokens whose selection is a float32 near-tie: the float64 reference may choose differently.
          const nearTie = Array.from(layer.router.margins.data).some((m) => m < 1e-5);
          if (nearTie) return;
          expectClose(layer.output.data, naive, 64 * 2 ** -23 * (maxAbs(naive) + 1e-6) * Math.max(1, s.hidden, s.intermediate) ** 0.5 * (routedScalingFactor + 1));
          const counts = Array.from(layer.tokensPerExpert.data);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(s.tokens * (mode === 'dense' ? s.numExperts : s.topK));
        },
      ),
      { numRuns: 200 },
    );
  });
});
