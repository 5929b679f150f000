// Every malformed input reaches the user as a MoEOracleError that names the argument, never as a
// crash from inside, a NaN output or a silently wrong value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import { initMoEParams, intTensor, MoEOracleError, tensor, topK, type MoEConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { moeShape, randomInput } from '../helpers.js';

type Corruption = { kind: string; apply: (s: Setup) => () => unknown; mentions: RegExp };
interface Setup { config: MoEConfig; params: ReturnType<typeof initMoEParams>; x: ReturnType<typeof randomInput>; s: { tokens: number; hidden: number; numExperts: number; topK: number } }

/** The corruptions, each calling the layer on the backend under test. */
const corruptionsOn = (moeForward: ReturnType<typeof entryPointsOn>['moeForward']): Corruption[] => [
  { kind: 'x with the wrong hidden size', mentions: /^moe-oracle: x: expected shape/, apply: ({ config, params, s }) => () => moeForward(randomInput(s.tokens, s.hidden + 1, 1), params, config) },
  { kind: 'x of rank 1', mentions: /x: expected shape \[T, \d+\]/, apply: ({ config, params, s }) => () => moeForward(tensor(new Float32Array(s.hidden), [s.hidden]), params, config) },
  { kind: 'empty x', mentions: /x: expected a non-empty tensor/, apply: ({ config, params, s }) => () => moeForward(tensor(new Float32Array(0), [0, s.hidden]), params, config) },
  { kind: 'k = 0', mentions: /config\.router\.topK: expected an integer in \[1, \d+\], got 0/, apply: ({ config, params, x }) => () => moeForward(x, params, { ...config, router: { topK: 0 } }) },
  { kind: 'k > N', mentions: /config\.router\.topK: expected an integer in \[1, \d+\]/, apply: ({ config, params, x, s }) => () => moeForward(x, params, { ...config, router: { topK: s.numExperts + 1 } }) },
  { kind: 'non-integer k', mentions: /config\.router\.topK: expected an integer/, apply: ({ config, params, x }) => () => moeForward(x, params, { ...config, router: { topK: 1.5 } }) },
  { kind: 'NaN in x', mentions: /x: expected finite values, got NaN at index/, apply: ({ config, params, x }) => () => { const y = tensor(x.data.slice(), x.shape); y.data[y.data.length - 1] = NaN; return moeForward(y, params, config); } },
  { kind: 'Infinity in x', mentions: /x: expected finite values, got Infinity/, apply: ({ config, params, x }) => () => { const y = tensor(x.data.slice(), x.shape); y.data[0] = Infinity; return moeForward(y, params, config); } },
  {
    kind: 'NaN in the weight of an expert that a token chooses',
    mentions: /params\["experts\.\d+\.w2\.weight"\]: expected finite values/,
    apply: ({ config, params, x }) => () => {
      const chosen = moeForward(x, params, config).router.topkIndices.data[0];
      const name = `experts.${chosen}.w2.weight`;
      const p = { ...params, [name]: tensor(params[name].data.slice(), params[name].shape) };
      p[name].data[0] = NaN;
      return moeForward(x, p, config);
    },
  },
  { kind: 'a missing expert', mentions: /params\["experts\.0\.w1\.weight"\]: expected a tensor of shape/, apply: ({ config, params, x }) => () => { const p = { ...params }; delete p['experts.0.w1.weight']; return moeForward(x, p, config); } },
  { kind: 'a wrongly shaped router', mentions: /params\["gate\.weight"\]: expected a float32 tensor of shape/, apply: ({ config, params, x, s }) => () => moeForward(x, { ...params, 'gate.weight': tensor(new Float32Array((s.numExperts + 1) * s.hidden), [s.numExperts + 1, s.hidden]) }, config) },
  { kind: 'an unknown config key', mentions: /config\.num_experts: expected one of the known keys/, apply: ({ config, params, x }) => () => moeForward(x, params, { ...config, num_experts: 3 } as MoEConfig) },
  { kind: 'an unknown normalisation', mentions: /normalization: expected one of/, apply: ({ config, params, x }) => () => moeForward(x, params, { ...config, router: { ...config.router, normalization: 'softmax' as never } }) },
  { kind: 'an override index out of range', mentions: /routing override\[0, 0\]: expected an expert index in \[0, \d+\)/, apply: ({ config, params, x, s }) => () => moeForward(x, params, config, { routingOverride: intTensor(new Array(s.tokens * s.topK).fill(s.numExperts), [s.tokens, s.topK]) }) },
  { kind: 'a float override', mentions: /routing override: expected an int32 tensor/, apply: ({ config, params, x, s }) => () => moeForward(x, params, config, { routingOverride: tensor(new Float32Array(s.tokens * s.topK), [s.tokens, s.topK]) as never }) },
  { kind: 'a plain array as x', mentions: /x: expected a float32 tensor/, apply: ({ config, params }) => () => moeForward([[1, 2]] as never, params, config) },
  { kind: 'a Float64 ndarray as x', mentions: /x: expected a float32 tensor/, apply: ({ config, params, s }) => () => moeForward(ndarray(new Float64Array(s.tokens * s.hidden), [s.tokens, s.hidden]) as never, params, config) },
];

describe.each(SPEC_BACKENDS)('bad input ($name backend)', ({ kernels }) => {
  const { moeForward, route } = entryPointsOn(kernels);
  const corruptions = corruptionsOn(moeForward);
  it('every corruption of a valid call throws MoEOracleError naming the argument', () => {
    fc.assert(
      fc.property(moeShape, fc.constantFrom(...corruptions), (s, corruption) => {
        const config: MoEConfig = { hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate, router: { topK: s.topK } };
        const setup: Setup = { config, params: initMoEParams(config, s.seed), x: randomInput(s.tokens, s.hidden, s.seed), s };
        let thrown: unknown;
        try {
          corruption.apply(setup)();
        } catch (error) {
          thrown = error;
        }
        expect(thrown, corruption.kind).toBeInstanceOf(MoEOracleError);
        expect((thrown as Error).message, corruption.kind).toMatch(corruption.mentions);
      }),
      { numRuns: 300 },
    );
  });

  it('the router and top-k reject bad k and shapes the same way', () => {
    const w = tensor([1, 2, 3, 4], [2, 2]);
    expect(() => route(tensor([1, 2], [1, 2]), { weight: w }, { topK: 3 })).toThrow(/topK: expected an integer in \[1, 2\], got 3/);
    expect(() => topK(tensor([1, 2], [1, 2]), 0)).toThrow(/k: expected an integer in \[1, 2\], got 0/);
    expect(() => topK(tensor([1, NaN], [1, 2]), 1)).toThrow(MoEOracleError);
    expect(() => route(tensor([1, 2, 3], [1, 3]), { weight: w }, { topK: 1 })).toThrow(/gate\.weight: expected shape \[N, 3\], got \[2, 2\]/);
  });

  it('sigmoid scores that underflow to 0 with ε = 0 raise instead of returning 0/0', () => {
    const w = tensor([-1, -1], [2, 1]);
    expect(() => route(tensor([200], [1, 1]), { weight: w }, { topK: 2, scoring: 'sigmoid', normalization: 'sum' })).toThrow(/normalizationEpsilon/);
    const ok = route(tensor([200], [1, 1]), { weight: w }, { topK: 2, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20 });
    expect(Array.from(ok.topkWeights.data)).toEqual([0, 0]);
  });
});
