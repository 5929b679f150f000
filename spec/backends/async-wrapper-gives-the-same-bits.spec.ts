// The kernel seam carries an asynchronous backend: the layer and the router, run through a
// deliberately asynchronous wrapper of cpu (spec/backends/async-cpu.ts), give exactly the bits of the
// synchronous cpu path, for every config family the layer supports; and the synchronous entries
// refuse an asynchronous backend with an error that names the async twin.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, moeForward, moeForwardAsync, route, routeAsync, type MoEConfig, type MoEOutput } from '../../src/index.js';
import { moeShape, randomInput } from '../helpers.js';
import { asyncCpuBackend } from './async-cpu.js';

function bitsOf(out: MoEOutput): Record<string, number[]> {
  const bits: Record<string, number[]> = {
    output: Array.from(out.output.data), logits: Array.from(out.router.logits.data), scores: Array.from(out.router.scores.data),
    indices: Array.from(out.router.topkIndices.data), weights: Array.from(out.router.topkWeights.data), margins: Array.from(out.router.margins.data),
    tokensPerExpert: Array.from(out.tokensPerExpert.data),
  };
  if (out.sharedExpertOutput) bits.shared = Array.from(out.sharedExpertOutput.data);
  if (out.sharedExpertGate) bits.gate = Array.from(out.sharedExpertGate.data);
  return bits;
}

describe('an asynchronous backend behind the kernel seam', () => {
  it('moeForwardAsync through the async wrapper equals moeForward on cpu, bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(
        moeShape,
        fc.constantFrom<'softmax' | 'sigmoid'>('softmax', 'sigmoid'),
        fc.constantFrom<'swiglu' | 'relu' | 'gelu-tanh'>('swiglu', 'relu', 'gelu-tanh'),
        fc.constantFrom(0, 8),
        fc.boolean(),
        fc.constantFrom<'sparse' | 'dense'>('sparse', 'dense'),
        async (s, scoring, expertKind, shared, gated, mode) => {
          const config: MoEConfig = {
            hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate, router: { topK: s.topK, scoring },
            expertKind, sharedExpertIntermediateSize: shared, sharedExpertGate: shared > 0 && gated, mode,
          };
          const params = initMoEParams(config, s.seed);
          const x = randomInput(s.tokens, s.hidden, s.seed);
          const sync = moeForward(x, params, config);
          const viaAsync = await moeForwardAsync(x, params, config, { backend: asyncCpuBackend });
          expect(bitsOf(viaAsync)).toEqual(bitsOf(sync));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('routeAsync through the async wrapper equals route on cpu, bit for bit', async () => {
    const config: MoEConfig = { hiddenSize: 12, numExperts: 6, expertIntermediateSize: 1, router: { topK: 2, scoring: 'sigmoid', scoreCorrectionBias: true } };
    const params = initMoEParams(config, 7);
    const x = randomInput(9, 12, 7);
    const routerParams = { weight: params['gate.weight'], scoreCorrectionBias: params['gate.e_score_correction_bias'] };
    const sync = route(x, routerParams, config.router);
    const viaAsync = await routeAsync(x, routerParams, config.router, { backend: asyncCpuBackend });
    for (const key of ['logits', 'scores', 'topkIndices', 'topkWeights', 'margins'] as const) {
      expect(Array.from(viaAsync[key].data)).toEqual(Array.from(sync[key].data));
    }
  });

  it('the synchronous entries refuse an asynchronous backend and name the async twin', () => {
    const config: MoEConfig = { hiddenSize: 4, numExperts: 2, expertIntermediateSize: 3, router: { topK: 1 } };
    const params = initMoEParams(config, 1);
    const x = randomInput(2, 4, 1);
    expect(() => moeForward(x, params, config, { backend: asyncCpuBackend })).toThrow(/options\.backend: expected a synchronous backend here \(use moeForwardAsync/);
    expect(() => route(x, { weight: params['gate.weight'] }, config.router, { backend: asyncCpuBackend })).toThrow(/use routeAsync/);
  });
});
