// The router's backward (src/router/backward.ts), for every score function and weight normalisation:
//  - its float64 forward (routerWeightsFromLogits) is the router's: `route` gives the same weights to
//    float32 rounding of the scores and weights (4 ulp of the weight scale);
//  - for L = Σ_tj G_tj·w_tj with random G, the gradient to the logits equals a central finite difference
//    (float32 steps of h = 2^-10 actually taken; bound 1e-5·(1 + Σ|G|·c/T) + 2^-22·|g|, c the routed
//    scaling factor; truncation ≈ h²/6 ≈ 1.6e-7 of the weights' third derivative);
//  - the gate's linear backward is the adjoint of the forward: for any perturbation (dX, dW, db),
//    ⟨dL/dz, dX·Wᵀ + X·dWᵀ + 1·dbᵀ⟩ = ⟨gradX, dX⟩ + ⟨gradW, dW⟩ + ⟨gradB, db⟩ (float32 outputs: relative 1e-5).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  initMoEParams, randomNormal, route, routerBackward, routerLinearBackward, routerWeightsFromLogits, tensor,
  type IntTensor, type RouterConfig, type Tensor,
} from '../../src/index.js';
import { moeShape, randomInput } from '../helpers.js';
import { finiteDifferences } from '../losses/loss-cases.js';

const ROUTERS: { name: string; options: Omit<RouterConfig, 'topK'>; bias?: boolean }[] = [
  { name: 'softmax then top-k, renormalised (Mixtral)', options: { scoring: 'softmax', normalization: 'sum' } },
  { name: 'softmax then top-k, raw (Qwen2-MoE)', options: { scoring: 'softmax', normalization: 'none', routedScalingFactor: 1.5 } },
  { name: 'top-k then softmax (gpt-oss, Megatron)', options: { scoring: 'softmax', normalization: 'softmax-topk' } },
  { name: 'softmax, p-norm 2 (DBRX)', options: { scoring: 'softmax', normalization: 'pnorm', pnormP: 2 } },
  { name: 'sigmoid, sum, ε, ×2.5 (DeepSeek-V3)', options: { scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5 } },
  { name: 'sigmoid, sum, ε, ×2.5, with correction bias', options: { scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5 }, bias: true },
  { name: 'sigmoid, raw', options: { scoring: 'sigmoid', normalization: 'none' } },
];

function setup(s: { tokens: number; hidden: number; numExperts: number; seed: number; topK: number }, bias: boolean) {
  const params = initMoEParams({ hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: 1, router: { topK: 1, scoreCorrectionBias: true } }, s.seed);
  const x = randomInput(s.tokens, s.hidden, s.seed, 3);
  const weight = params['gate.weight'];
  return { x, weight, scoreCorrectionBias: bias ? params['gate.e_score_correction_bias'] : undefined };
}

describe('router backward', () => {
  for (const router of ROUTERS) {
    it(`${router.name}: forward equals route(), gradient equals finite differences`, () => {
      fc.assert(
        fc.property(moeShape, (s) => {
          const { x, weight, scoreCorrectionBias } = setup(s, router.bias === true);
          const options: RouterConfig = { ...router.options, topK: s.topK, scoreCorrectionBias: router.bias === true };
          const out = route(x, { weight, scoreCorrectionBias }, options);
          const indices: IntTensor = out.topkIndices;
          const weights = routerWeightsFromLogits(out.logits, indices, options);
          const c = options.routedScalingFactor ?? 1;
          weights.forEach((w, i) => expect(Math.abs(w - out.topkWeights.data[i])).toBeLessThanOrEqual(4 * 2 ** -24 * Math.max(Math.abs(c), 1)));

          const G = randomNormal([s.tokens, s.topK], { seed: s.seed, name: 'grad' });
          const loss = (z: Tensor) => routerWeightsFromLogits(z, indices, options).reduce((sum, w, i) => sum + G.data[i] * w, 0);
          const { gradLogits } = routerBackward(out.logits, indices, G, options);
          const fd = finiteDifferences(out.logits, loss);
          gradLogits.data.forEach((g, i) => expect(Math.abs(g - fd[i]), `element ${i}: ${g} vs ${fd[i]}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(c)) + 2 ** -22 * Math.abs(g)));
        }),
        { numRuns: 30 },
      );
    });
  }

  it('the gate linear backward is the adjoint of logits = x·Wᵀ + b', () => {
    fc.assert(
      fc.property(moeShape, (s) => {
        const { x, weight } = setup(s, false);
        const gradLogits = randomNormal([s.tokens, s.numExperts], { seed: s.seed, name: 'gradLogits' });
        const dX = randomNormal([s.tokens, s.hidden], { seed: s.seed, name: 'dX' }).data;
        const dW = randomNormal([s.numExperts, s.hidden], { seed: s.seed, name: 'dW' }).data;
        const db = randomNormal([s.numExperts], { seed: s.seed, name: 'db' }).data;
        const { gradX, gradWeight, gradBias } = routerLinearBackward(x, weight, gradLogits);
        const [T, H, N] = [s.tokens, s.hidden, s.numExperts];
        let left = 0;
        let size = 0;
        for (let t = 0; t < T; t++) for (let e = 0; e < N; e++) {
          let dz = db[e];
          for (let h = 0; h < H; h++) dz += dX[t * H + h] * weight.data[e * H + h] + x.data[t * H + h] * dW[e * H + h];
          left += gradLogits.data[t * N + e] * dz;
          size += Math.abs(gradLogits.data[t * N + e] * dz);
        }
        let right = 0;
        gradX.data.forEach((g, i) => (right += g * dX[i]));
        gradWeight.data.forEach((g, i) => (right += g * dW[i]));
        gradBias.data.forEach((g, i) => (right += g * db[i]));
        expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-5 * (size + 1e-30));
        expect(tensor(gradX.data, gradX.shape).shape).toEqual([T, H]);
      }),
    );
  });
});
