/**
 * Golden cases of the routing variants: expert capacity under each source's formula and drop policy
 * (src/router/capacity.ts), Hugging Face Switch's pass-through of dropped tokens, and group-limited
 * selection of DeepSeek-V3, DeepSeek-V2 and Megatron (src/router/group-limited.ts).
 */
import type { MoEConfig } from '../../moe/config.js';
import type { CapacityConfig } from '../../router/capacity.js';
import type { GoldenCase } from '../case.js';
import { moeCase, routerCase } from './helpers.js';

// Top-2 over 6 experts with 24 tokens: capacity factors below 1 make every formula drop slots.
const topTwo: MoEConfig = { hiddenSize: 16, numExperts: 6, expertIntermediateSize: 24, router: { topK: 2 } };
const withCapacity = (capacity: CapacityConfig, router: Partial<MoEConfig['router']> = {}): MoEConfig => ({ ...topTwo, router: { ...topTwo.router, ...router, capacity } });

// Switch Transformers (switch-base-8: d_model 768, d_ff 3072, 8 experts, expert_capacity 64, ReLU
// experts, top-1 raw probability) scaled down ×48 in width; each batch row of 8 tokens is a group.
const switchTiny: MoEConfig = {
  hiddenSize: 16, numExperts: 8, expertIntermediateSize: 64, expertKind: 'relu',
  router: { topK: 1, normalization: 'none', capacity: { formula: 'fixed', expertCapacity: 1, groupSize: 8, dropped: 'pass-through' } },
};

// DeepSeek-V3 routing (256 experts in 8 groups, 4 kept, top-8, sigmoid, correction bias, ε 1e-20,
// scaling 2.5) with 32 experts: 8 groups of 4, 4 kept, top-4.
const deepseekV3Groups: MoEConfig = {
  hiddenSize: 56, numExperts: 32, expertIntermediateSize: 16, sharedExpertIntermediateSize: 16, naming: 'deepseek',
  router: {
    topK: 4, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5, scoreCorrectionBias: true,
    groups: { method: 'noaux_tc', numGroups: 8, topkGroup: 4 },
  },
};

export const routingCases: GoldenCase[] = [
  moeCase('moe/capacity-megatron-position', "Top-2 with capacity ceil(T·k/E·cf) (Megatron), cf 0.6, dropped by position token by token (Megatron 'position', MaxText); dropped slots give 0.", withCapacity({ formula: 'megatron', factor: 0.6, dropPolicy: 'position-token-major' }), { seed: 40, tokens: 24 }),
  moeCase('moe/capacity-megatron-probs', "Top-2 with Megatron's capacity, cf 0.6, dropping the slots of lowest routing probability (Megatron 'probs').", withCapacity({ formula: 'megatron', factor: 0.6, dropPolicy: 'probs' }), { seed: 41, tokens: 24 }),
  moeCase('moe/capacity-deepspeed-renormalize', 'Top-2, raw softmax weights, capacity max(ceil(T/E·cf·k), min_capacity 4) (DeepSpeed), every first choice before any second choice, kept weights renormalised (DeepSpeed topkgating).', withCapacity({ formula: 'deepspeed', factor: 0.5, minCapacity: 4, afterDrop: 'renormalize' }, { normalization: 'none' }), { seed: 42, tokens: 24 }),
  moeCase('moe/capacity-tutel', 'Top-2 with capacity k·int(cf·ceil(T/E)) (Tutel), cf 0.75, first choices before second choices.', withCapacity({ formula: 'tutel', factor: 0.75 }), { seed: 43, tokens: 24 }),
  moeCase('moe/capacity-flaxformer-groups', 'Top-2 with capacity max(round-half-even(cf·S/E), 1) per group of S = 12 tokens (flaxformer), cf 1.5: round(3.0) = 3.', withCapacity({ formula: 'flaxformer', factor: 1.5, minCapacity: 1, groupSize: 12 }), { seed: 44, tokens: 24 }),
  moeCase('moe/capacity-large-enough', 'Top-2 with a capacity no expert reaches (Megatron, cf 10): nothing drops, the output equals the uncapped layer.', withCapacity({ formula: 'megatron', factor: 10 }), { seed: 45, tokens: 24 }),
  moeCase('moe/switch-capacity-pass-through', "Switch-Transformers-shaped top-1 layer with Hugging Face's fixed expert_capacity 1 per batch row of 8 tokens: a dropped token comes out as its input scaled by its top-1 probability.", switchTiny, { seed: 46, tokens: 24 }),
  moeCase('moe/switch-capacity-zero', 'The same Switch layer with dropped tokens giving 0 (the paper, flaxformer, Megatron).', { ...switchTiny, router: { ...switchTiny.router, capacity: { ...switchTiny.router.capacity!, dropped: 'zero' } } }, { seed: 46, tokens: 24 }),
  moeCase(
    'moe/switch-base-layer-width',
    'switch-base-8 layer (d_model 768, d_ff 3072, 8 ReLU experts, expert_capacity 64 per row) on 2 rows of 128 tokens — on demand only (~160 MB).',
    { ...switchTiny, hiddenSize: 768, expertIntermediateSize: 3072, router: { ...switchTiny.router, capacity: { formula: 'fixed', expertCapacity: 64, groupSize: 128, dropped: 'pass-through' } } },
    { seed: 47, tokens: 256, large: true },
  ),
  moeCase('moe/deepseek-v3-groups', 'DeepSeek-V3 routing (noaux_tc): 32 experts in 8 groups, 4 groups kept by the sum of their top-2 biased sigmoid scores, top-4 inside, weights from unbiased scores / (sum + 1e-20) × 2.5, shared expert.', deepseekV3Groups, { seed: 48, tokens: 16, family: 'deepseek_v3' }),
  routerCase('router/deepseek-v3-groups-negative-bias', 'DeepSeek-V3 group-limited router whose correction bias is shifted by −1: masked experts (−Infinity) are never chosen, as they were with the old 0.0 mask.', deepseekV3Groups, {
    seed: 49, tokens: 16, edit: ({ params }) => { const b = params['gate.e_score_correction_bias'].data; for (let i = 0; i < b.length; i++) b[i] -= 1; },
  }),
  routerCase('router/deepseek-v2-group-limited-greedy', 'DeepSeek-V2 routing (group_limited_greedy): softmax scores, 16 experts in 4 groups scored by their maximum, 2 kept, top-3, raw weights.', {
    hiddenSize: 24, numExperts: 16, expertIntermediateSize: 1, naming: 'deepseek', router: { topK: 3, normalization: 'none', groups: { method: 'group_limited_greedy', numGroups: 4, topkGroup: 2 } },
  }, { seed: 50, tokens: 16, family: 'deepseek_v2' }),
  routerCase('router/megatron-group-limited', "Megatron's group_limited_topk: 16 experts in 4 groups scored by the sum of their top ⌊k/topkGroup⌋ = 2 scores, 2 kept, top-4.", {
    hiddenSize: 24, numExperts: 16, expertIntermediateSize: 1, router: { topK: 4, groups: { method: 'megatron', numGroups: 4, topkGroup: 2 } },
  }, { seed: 51, tokens: 16 }),
];
