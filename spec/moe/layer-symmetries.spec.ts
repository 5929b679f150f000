// Symmetries and special cases of the MoE layer:
//  - permuting tokens permutes the output (tokens are independent);
//  - permuting experts together with the router rows leaves the output unchanged;
//  - k = N with renormalisation equals the dense mixture;
//  - one expert with k = 1 equals that expert's FFN;
//  - a layer whose routed experts contribute nothing equals its shared expert's FFN;
//  - replaying the router's own choice through the routing override changes nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, tensor, zeros, type MoEConfig, type StateDict } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expectClose, maxAbs, moeShape, randomInput } from '../helpers.js';

const baseConfig = (s: { hidden: number; numExperts: number; topK: number; intermediate: number }): MoEConfig => ({
  hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate, router: { topK: s.topK },
});

/** A random permutation of 0…n−1 drawn by fast-check. */
const permutationOf = (n: number) => fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });

describe.each(SPEC_BACKENDS)('MoE layer symmetries ($name backend)', ({ kernels }) => {
  const { moeForward, swiGLU } = entryPointsOn(kernels);
  it('permuting tokens permutes the output and the routing', () => {
    fc.assert(
      fc.property(moeShape.chain((s) => fc.tuple(fc.constant(s), permutationOf(s.tokens))), ([s, perm]) => {
        const config = baseConfig(s);
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const xPermuted = tensor(perm.flatMap((t) => Array.from(x.data.slice(t * s.hidden, (t + 1) * s.hidden))), [s.tokens, s.hidden]);
        const a = moeForward(x, params, config);
        const b = moeForward(xPermuted, params, config);
        perm.forEach((t, i) => {
          expect(Array.from(b.output.data.slice(i * s.hidden, (i + 1) * s.hidden))).toEqual(Array.from(a.output.data.slice(t * s.hidden, (t + 1) * s.hidden)));
          expect(Array.from(b.router.topkIndices.data.slice(i * s.topK, (i + 1) * s.topK))).toEqual(Array.from(a.router.topkIndices.data.slice(t * s.topK, (t + 1) * s.topK)));
        });
        expect(Array.from(b.tokensPerExpert.data)).toEqual(Array.from(a.tokensPerExpert.data));
      }),
    );
  });

  it('permuting experts together with the router rows leaves the output unchanged', () => {
    fc.assert(
      fc.property(moeShape.chain((s) => fc.tuple(fc.constant(s), permutationOf(s.numExperts))), ([s, perm]) => {
        const config = baseConfig(s);
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        // New expert i is old expert perm[i]; router row i moves with it.
        const gate = params['gate.weight'].data;
        const permuted: StateDict = {
          'gate.weight': tensor(perm.flatMap((e) => Array.from(gate.slice(e * s.hidden, (e + 1) * s.hidden))), [s.numExperts, s.hidden]),
        };
        perm.forEach((old, i) => {
          for (const m of ['w1', 'w2', 'w3']) permuted[`experts.${i}.${m}.weight`] = params[`experts.${old}.${m}.weight`];
        });
        const a = moeForward(x, params, config);
        const b = moeForward(x, permuted, config);
        if (Array.from(a.router.margins.data).some((m) => m === 0)) return; // an exact tie may resolve differently
        expectClose(b.output.data, a.output.data, 2 ** -23 * maxAbs(a.output.data));
        b.router.topkIndices.data.forEach((e, i) => expect(perm[e]).toBe(a.router.topkIndices.data[i]));
      }),
    );
  });

  it('k = N with renormalisation equals the dense mixture', () => {
    fc.assert(
      fc.property(moeShape, (s) => {
        const config = { ...baseConfig(s), router: { topK: s.numExperts } };
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const sparse = moeForward(x, params, { ...config, router: { ...config.router, normalization: 'sum' } });
        const dense = moeForward(x, params, { ...config, mode: 'dense' });
        // The renormalised weights p/Σp differ from p by the float32 rounding of Σp ≈ 1.
        expectClose(sparse.output.data, dense.output.data, 4 * s.numExperts * 2 ** -24 * (maxAbs(dense.output.data) + 1e-6) * s.numExperts);
      }),
    );
  });

  it('one expert with k = 1 equals that FFN exactly', () => {
    fc.assert(
      fc.property(moeShape, (s) => {
        const config = { ...baseConfig(s), numExperts: 1, router: { topK: 1 } };
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const ffn = swiGLU(x, { w1: params['experts.0.w1.weight'], w2: params['experts.0.w2.weight'], w3: params['experts.0.w3.weight'] });
        expect(Array.from(moeForward(x, params, config).output.data)).toEqual(Array.from(ffn.data));
      }),
    );
  });

  it('a layer whose routed experts output zero equals its shared expert exactly; the gate scales it', () => {
    fc.assert(
      fc.property(moeShape, fc.boolean(), (s, gated) => {
        const config: MoEConfig = { ...baseConfig(s), sharedExpertIntermediateSize: s.intermediate + 1, sharedExpertGate: gated, naming: 'deepseek' };
        const params = initMoEParams(config, s.seed);
        for (let e = 0; e < s.numExperts; e++) params[`experts.${e}.down_proj.weight`] = zeros([s.hidden, s.intermediate]);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const shared = swiGLU(x, { w1: params['shared_experts.gate_proj.weight'], w2: params['shared_experts.down_proj.weight'], w3: params['shared_experts.up_proj.weight'] });
        const out = moeForward(x, params, config);
        if (!gated) expect(Array.from(out.output.data)).toEqual(Array.from(shared.data));
        else {
          const g = out.sharedExpertGate!.data;
          out.output.data.forEach((v, i) => expect(v).toBe(Math.fround(g[Math.floor(i / s.hidden)] * shared.data[i])));
          g.forEach((v) => expect(v > 0 && v < 1).toBe(true));
        }
      }),
    );
  });

  it("replaying the router's own choice through routingOverride reproduces the output", () => {
    fc.assert(
      fc.property(moeShape, (s) => {
        const config = baseConfig(s);
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const a = moeForward(x, params, config);
        const b = moeForward(x, params, config, { routingOverride: a.router.topkIndices });
        expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
      }),
    );
  });
});
