/**
 * Golden cases of the second half of the routing variants: router noise (jitter on the router's input,
 * Shazeer's noisy top-k, each with an explicit seed), the gpt-oss layer (biased router, softmax over the
 * top-k logits, clamped SwiGLU experts with biases, fused checkpoint tensors) and the Llama 4 layer
 * (top-1 on logits, sigmoid weight applied to the expert's input, shared expert, fused experts).
 */
import type { MoEConfig } from '../../moe/config.js';
import type { GoldenCase } from '../case.js';
import { moeCase, routerCase } from './helpers.js';

const mixtralSmall: MoEConfig = { hiddenSize: 16, numExperts: 8, expertIntermediateSize: 32, router: { topK: 2 } };
const switchSmall: MoEConfig = { hiddenSize: 16, numExperts: 4, expertIntermediateSize: 64, expertKind: 'relu', router: { topK: 1, normalization: 'none' } };

// gpt-oss-20b: H 2880, I 2880, 32 experts, top-4, router bias, softmax over the 4 chosen logits.
const gptOssTiny: MoEConfig = {
  hiddenSize: 24, numExperts: 8, expertIntermediateSize: 24, expertKind: 'gpt-oss',
  router: { topK: 4, normalization: 'softmax-topk', bias: true },
};
// Llama 4 Scout: H 5120, I 8192, 16 experts, top-1, shared expert of the same size.
const llama4Tiny: MoEConfig = {
  hiddenSize: 20, numExperts: 4, expertIntermediateSize: 32, sharedExpertIntermediateSize: 32, naming: 'llama4', routerWeightOn: 'input',
  router: { topK: 1, scoring: 'sigmoid', normalization: 'none', selectOn: 'logits' },
};

export const routingNoiseCases: GoldenCase[] = [
  moeCase('moe/jitter-switch', "Switch-shaped top-1 layer with router_jitter_noise 0.01: the router sees x ⊙ U(0.99, 1.01) (stream 'router.jitter', seed 7), the experts the original x.", { ...switchSmall, router: { ...switchSmall.router, noise: { kind: 'jitter', epsilon: 0.01, seed: 7 } } }, { seed: 60, tokens: 12 }),
  moeCase('moe/jitter-large-mixtral', 'Mixtral-shaped top-2 layer with a large jitter ε = 0.5 (seed 8), so that the routing differs from the noiseless one on some tokens.', { ...mixtralSmall, router: { ...mixtralSmall.router, noise: { kind: 'jitter', epsilon: 0.5, seed: 8 } } }, { seed: 61, tokens: 16 }),
  moeCase('moe/noisy-top-k', "Shazeer et al. 2017 noisy top-k: H = x·W_g + ε·(softplus(x·W_noise) + 1e-2), ε ~ N(0, 1) (stream 'router.noise', seed 9), top-2 of H, softmax over the two.", { ...mixtralSmall, router: { topK: 2, normalization: 'softmax-topk', noise: { kind: 'noisy-top-k', seed: 9 } } }, { seed: 62, tokens: 16 }),
  routerCase('router/noisy-top-k-paper', 'Noisy top-k router as in the paper (no ε added to the standard deviation), top-4 of 16 experts, seed 10.', { hiddenSize: 24, numExperts: 16, expertIntermediateSize: 1, router: { topK: 4, normalization: 'softmax-topk', noise: { kind: 'noisy-top-k', seed: 10, stddevEpsilon: 0 } } }, { seed: 63, tokens: 16 }),
  routerCase('router/noisy-top-k-off', 'The noisy top-k router with noise disabled (evaluation): equal to the plain router, bit for bit.', { hiddenSize: 24, numExperts: 16, expertIntermediateSize: 1, router: { topK: 4, normalization: 'softmax-topk', noise: { kind: 'noisy-top-k', seed: 10, enabled: false } } }, { seed: 63, tokens: 16 }),
  moeCase('moe/gpt-oss-tiny', 'gpt-oss-shaped layer: router with bias, top-4 logits, softmax over them; experts (clamp(up, ±7) + 1)·g·σ(1.702·g), g = min(gate, 7), with biases; fused experts.gate_up_proj [E, H, 2I] (gate/up interleaved).', gptOssTiny, { seed: 64, tokens: 16 }),
  moeCase('moe/gpt-oss-clamped', 'The gpt-oss layer with expert weights scaled ×40 so that many gate and up values pass the ±7 clamp.', gptOssTiny, {
    seed: 65, tokens: 8, edit: ({ params }) => { for (const name of ['experts.gate_up_proj', 'experts.gate_up_proj_bias']) { const d = params[name].data; for (let i = 0; i < d.length; i++) d[i] *= 40; } },
  }),
  moeCase('moe/llama4-tiny', 'Llama-4-shaped layer: top-1 on the router logits, weight sigmoid(logit) multiplies the expert input (not its output), plus an ungated shared expert; fused experts.gate_up_proj [E, H, 2I] (gate half, up half).', llama4Tiny, { seed: 66, tokens: 16 }),
];
