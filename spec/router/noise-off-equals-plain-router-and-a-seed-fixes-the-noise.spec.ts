// Router noise (src/router/noise.ts):
//  - with noise off (enabled: false, or jitter ε = 0) jitter and noisy top-k are the plain router, bit for bit;
//  - a fixed seed gives the same routing on every call;
//  - noisy top-k's H equals clean + ε·(softplus(x·W_noiseᵀ) + stddevEpsilon), recomputed here from the
//    library's linear and the named normal stream;
//  - the experts see the un-jittered input: the layer's output is Σ w·E(x) with the original x.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, MoEOracleError, randomNormal, swiGLU, tensor, type MoEConfig, type NoiseConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expectClose, maxAbs, moeShape, randomInput } from '../helpers.js';

const configOf = (s: { hidden: number; numExperts: number; topK: number; intermediate: number }, noise?: NoiseConfig): MoEConfig => ({
  hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate,
  router: { topK: s.topK, normalization: 'softmax-topk', ...(noise === undefined ? {} : { noise }) },
});

describe.each(SPEC_BACKENDS)('router noise ($name backend)', ({ kernels }) => {
  const { moeForward, linear } = entryPointsOn(kernels);

  it('with noise off, jitter and noisy top-k equal the plain router, bit for bit', () => {
    fc.assert(
      fc.property(moeShape, fc.integer({ min: 0, max: 1000 }), (s, noiseSeed) => {
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const plainConfig = configOf(s);
        const plain = moeForward(x, initMoEParams(plainConfig, s.seed), plainConfig);
        for (const noise of [
          { kind: 'jitter', epsilon: 0.3, seed: noiseSeed, enabled: false },
          { kind: 'jitter', epsilon: 0, seed: noiseSeed },
          { kind: 'noisy-top-k', seed: noiseSeed, enabled: false },
        ] as NoiseConfig[]) {
          const config = configOf(s, noise);
          const noisy = moeForward(x, initMoEParams(config, s.seed), config);
          expect(Array.from(noisy.output.data)).toEqual(Array.from(plain.output.data));
          expect(Array.from(noisy.router.topkIndices.data)).toEqual(Array.from(plain.router.topkIndices.data));
          expect(Array.from(noisy.router.topkWeights.data)).toEqual(Array.from(plain.router.topkWeights.data));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('a fixed seed gives the same routing on every call; the noise is drawn, not zero', () => {
    fc.assert(
      fc.property(moeShape, fc.integer({ min: 0, max: 1000 }), fc.constantFrom('jitter', 'noisy-top-k'), (s, noiseSeed, kind) => {
        const noise = (kind === 'jitter' ? { kind, epsilon: 0.5, seed: noiseSeed } : { kind, seed: noiseSeed }) as NoiseConfig;
        const config = configOf(s, noise);
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const a = moeForward(x, params, config);
        const b = moeForward(x, params, config);
        expect(Array.from(b.router.topkIndices.data)).toEqual(Array.from(a.router.topkIndices.data));
        expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
        const drawn = kind === 'jitter' ? a.router.noise!.jitter! : a.router.noise!.noise!;
        expect(new Set(drawn.data).size).toBeGreaterThan(Math.min(1, drawn.data.length - 1));
      }),
      { numRuns: 30 },
    );
  });

  it("noisy top-k's H is clean + ε·(softplus(x·W_noise) + stddevEpsilon), and selection runs on H", () => {
    fc.assert(
      fc.property(moeShape, fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0, 1e-2), (s, noiseSeed, stddevEpsilon) => {
        const config = configOf(s, { kind: 'noisy-top-k', seed: noiseSeed, stddevEpsilon });
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const out = moeForward(x, params, config);
        const clean = linear(x, params['gate.weight']);
        const raw = linear(x, params['gate.w_noise']);
        const epsilon = randomNormal([s.tokens, s.numExperts], { seed: noiseSeed, name: 'router.noise' });
        const expected = Array.from(clean.data, (c, i) => c + epsilon.data[i] * (Math.log1p(Math.exp(raw.data[i])) + stddevEpsilon));
        expectClose(out.router.noise!.noisyLogits!.data, expected, 4 * 2 ** -23 * (maxAbs(expected) + 1));
        // Top-k of H under the tie rule (H rounded to float32 by the library; compare sets on clear margins).
        const H = out.router.noise!.noisyLogits!.data;
        for (let t = 0; t < s.tokens; t++) {
          if (out.router.margins.data[t] === 0) continue;
          const row = Array.from(H.slice(t * s.numExperts, (t + 1) * s.numExperts));
          const order = row.map((v, e) => [v, e]).sort((p, q) => q[0] - p[0] || p[1] - q[1]).map((p) => p[1]);
          expect(Array.from(out.router.topkIndices.data.slice(t * s.topK, (t + 1) * s.topK))).toEqual(order.slice(0, s.topK));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('the experts see the un-jittered input: y = Σ_j w_j · E_j(x) with the original x', () => {
    fc.assert(
      fc.property(moeShape, fc.integer({ min: 0, max: 1000 }), (s, noiseSeed) => {
        const config = configOf(s, { kind: 'jitter', epsilon: 0.5, seed: noiseSeed });
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const out = moeForward(x, params, config);
        const k = s.topK;
        const expected = new Array<number>(s.tokens * s.hidden).fill(0);
        for (let t = 0; t < s.tokens; t++) {
          const row = tensor(x.data.slice(t * s.hidden, (t + 1) * s.hidden), [1, s.hidden]);
          for (let j = 0; j < k; j++) {
            const e = out.router.topkIndices.data[t * k + j];
            const y = swiGLU(row, { w1: params[`experts.${e}.w1.weight`], w2: params[`experts.${e}.w2.weight`], w3: params[`experts.${e}.w3.weight`] });
            for (let h = 0; h < s.hidden; h++) expected[t * s.hidden + h] += out.router.topkWeights.data[t * k + j] * y.data[h];
          }
        }
        expectClose(out.output.data, expected, 4 * 2 ** -23 * (maxAbs(expected) + 2 ** -20));
      }),
      { numRuns: 30 },
    );
  });
});

describe('router noise: bad configs', () => {
  const base: MoEConfig = { hiddenSize: 4, numExperts: 4, expertIntermediateSize: 4, router: { topK: 2 } };
  const x = randomInput(3, 4, 1);
  it.each([
    [{ kind: 'jitter', epsilon: 1, seed: 0 }, 'config.router.noise.epsilon'],
    [{ kind: 'jitter', epsilon: -0.1, seed: 0 }, 'config.router.noise.epsilon'],
    [{ kind: 'jitter', epsilon: 0.1 }, 'config.router.noise.seed'],
    [{ kind: 'noisy-top-k', seed: 0, epsilon: 0.1 }, 'config.router.noise.epsilon'],
    [{ kind: 'gaussian', seed: 0 }, 'config.router.noise.kind'],
  ])('%j is an error naming %s', (noise, argument) => {
    const config = { ...base, router: { ...base.router, noise: noise as NoiseConfig } };
    try {
      initMoEParams(config, 0);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MoEOracleError);
      expect((error as MoEOracleError).argument).toBe(argument);
    }
  });
  it('noisy top-k without gate.w_noise names the parameter', () => {
    const config: MoEConfig = { ...base, router: { ...base.router, noise: { kind: 'noisy-top-k', seed: 0 } } };
    const params = initMoEParams(config, 0);
    delete params['gate.w_noise'];
    expect(() => entryPointsOn(SPEC_BACKENDS[0].kernels).moeForward(x, params, config)).toThrow(/gate\.w_noise/);
  });
});
