/**
 * Golden cases of the MoE layer: tiny layers shaped like published models (with realistic ratios
 * between dimensions), every weight normalisation, shared experts with and without their gate, dense
 * mode, k = 1, k = N, exact ties, and two large cases at a real model's layer width (on demand only).
 *
 * A case names the Hugging Face family (`family`) whose keys build exactly its layer; cases that no
 * family describes exactly carry only the `moe_oracle` config: dense mode, GELU experts, the gpt-oss
 * router over SwiGLU experts (`normalization-softmax-topk`), and `k1-switch` (transformers' Switch
 * always applies its fixed `expert_capacity`, which this layer does not model).
 */
import type { MoEConfig } from '../../moe/config.js';
import type { RouterConfig } from '../../router/router.js';
import type { GoldenCase } from '../case.js';
import { moeCase, scaleRouter, tieRouterRows } from './helpers.js';

// Mixtral-8x7B: H 4096, I 14336 (3.5·H), 8 experts, top-2, softmax → top-2 → renormalise.
const mixtralTiny: MoEConfig = { hiddenSize: 32, numExperts: 8, expertIntermediateSize: 112, router: { topK: 2, normalization: 'sum' } };
// DeepSeek-V3: H 7168, expert I 2048 (≈ 0.29·H), 256 routed experts, top-8, 1 shared expert,
// sigmoid scores + selection bias, renormalised with ε = 1e-20, scaled by 2.5. Scaled down ×128 in
// H and I and ×8 in N and k.
const deepseekTiny: MoEConfig = {
  hiddenSize: 56, numExperts: 32, expertIntermediateSize: 16,
  router: { topK: 4, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5, scoreCorrectionBias: true },
  sharedExpertIntermediateSize: 16, naming: 'deepseek',
};
// Qwen1.5-MoE-A2.7B: H 2048, expert I 1408, 60 experts, top-4, raw softmax weights
// (norm_topk_prob = false), one gated shared expert of I 5632. Scaled down ×64 in H and I.
const qwenTiny: MoEConfig = {
  hiddenSize: 32, numExperts: 15, expertIntermediateSize: 22, router: { topK: 4, normalization: 'none' },
  sharedExpertIntermediateSize: 88, sharedExpertGate: true, naming: 'qwen2-moe',
};
const small: MoEConfig = { hiddenSize: 16, numExperts: 6, expertIntermediateSize: 24, router: { topK: 2 } };
/** `small` with other router settings. */
const smallWith = (router: Omit<RouterConfig, 'topK'>): MoEConfig => ({ ...small, router: { ...small.router, ...router } });

export const moeCases: GoldenCase[] = [
  moeCase('moe/mixtral-tiny', 'Mixtral-shaped layer: 8 experts, top-2, softmax then renormalise over the two (I = 3.5·H).', mixtralTiny, { seed: 1, tokens: 24, family: 'mixtral' }),
  moeCase('moe/deepseek-v3-tiny', 'DeepSeek-V3-shaped layer: sigmoid scores, selection-only score-correction bias, fine-grained experts, 1 shared expert, ε = 1e-20, routed scaling 2.5.', deepseekTiny, { seed: 2, tokens: 16, family: 'deepseek_v3' }),
  moeCase('moe/qwen2-moe-tiny', 'Qwen2-MoE-shaped layer: raw softmax weights (norm_topk_prob = false) and a sigmoid-gated shared expert.', qwenTiny, { seed: 3, tokens: 16, family: 'qwen2_moe' }),
  moeCase('moe/shared-expert-ungated', 'DeepSeek-V2-style shared expert without a gate, softmax scores, raw weights.', { ...smallWith({ normalization: 'none' }), sharedExpertIntermediateSize: 48, naming: 'deepseek' }, { seed: 4, tokens: 12, family: 'deepseek_v2' }),
  moeCase('moe/shared-expert-gated', 'Shared expert scaled by sigmoid(x·w_gate), renormalised routed weights.', { ...small, sharedExpertIntermediateSize: 48, sharedExpertGate: true }, { seed: 5, tokens: 12, family: 'qwen2_moe' }),
  moeCase('moe/dense', 'Dense mode: every expert runs on every token, weighted by its softmax score.', { ...small, mode: 'dense' }, { seed: 6, tokens: 10 }),
  moeCase('moe/k1-switch', 'Switch-Transformers-shaped layer: k = 1, ReLU FFN experts (wi, wo), raw top-1 probability as the weight; no expert capacity (transformers\' Switch drops tokens beyond its expert_capacity).', { hiddenSize: 16, numExperts: 4, expertIntermediateSize: 64, router: { topK: 1, normalization: 'none' }, expertKind: 'relu' }, { seed: 7, tokens: 12 }),
  moeCase('moe/k1-renormalised', 'k = 1 with renormalisation: the weight is exactly 1 (Megatron #894).', { ...small, router: { topK: 1 } }, { seed: 8, tokens: 10, family: 'mixtral' }),
  moeCase('moe/k-equals-n', 'k = N with renormalisation: every expert chosen, margins +Infinity.', { ...small, numExperts: 4, router: { topK: 4 } }, { seed: 9, tokens: 10, family: 'mixtral' }),
  moeCase('moe/normalization-none', "Weight normalisation 'none' (raw softmax probabilities).", smallWith({ normalization: 'none' }), { seed: 10, tokens: 10, family: 'olmoe' }),
  moeCase('moe/normalization-sum', "Weight normalisation 'sum' (Mixtral).", smallWith({ normalization: 'sum' }), { seed: 10, tokens: 10, family: 'mixtral' }),
  moeCase('moe/normalization-softmax-topk', "Weight normalisation 'softmax-topk': top-k on logits, softmax over the k, with a router bias (gpt-oss's router, here over SwiGLU experts; Megatron).", smallWith({ normalization: 'softmax-topk', bias: true }), { seed: 10, tokens: 10 }),
  moeCase('moe/normalization-pnorm-1', "Weight normalisation 'pnorm' with p = 1 (DBRX default).", smallWith({ normalization: 'pnorm', pnormP: 1 }), { seed: 10, tokens: 10, family: 'dbrx' }),
  moeCase('moe/normalization-pnorm-2', "Weight normalisation 'pnorm' with p = 2 (not a sum normalisation).", smallWith({ normalization: 'pnorm', pnormP: 2 }), { seed: 10, tokens: 10, family: 'dbrx' }),
  moeCase('moe/gelu-experts', 'Classic FFN experts with exact (erf) GELU.', { ...small, expertKind: 'gelu' }, { seed: 11, tokens: 8 }),
  moeCase('moe/gelu-tanh-experts', 'Classic FFN experts with tanh-approximated GELU.', { ...small, expertKind: 'gelu-tanh' }, { seed: 12, tokens: 8 }),
  moeCase(
    'moe/exact-ties',
    'Router rows 1 = 2 and 0 = 3: every token has an exact tie at the k = 1 boundary (margin 0); the lower index wins.',
    { ...small, numExperts: 4, router: { topK: 1 } },
    { seed: 13, tokens: 12, family: 'mixtral', edit: (t) => { tieRouterRows(1, [2])(t); tieRouterRows(0, [3])(t); } },
  ),
  moeCase('moe/huge-logits', 'Router logits of order ±1e4: the softmax saturates to exact 0 and 1 without overflow, so every expert but the best ties at probability 0 and the second choice is the lowest such index (margin 0), as when Mixtral selects on probabilities.', small, { seed: 14, tokens: 10, family: 'mixtral', edit: scaleRouter(4e4) }),
  moeCase(
    'moe/deepseek-v3-layer-width',
    'DeepSeek-V3 layer width (H 7168, expert I 2048, 1 shared expert) with 8 routed experts, top-2 — on demand only (~1.6 GB).',
    { ...deepseekTiny, hiddenSize: 7168, expertIntermediateSize: 2048, sharedExpertIntermediateSize: 2048, numExperts: 8, router: { ...deepseekTiny.router, topK: 2 } },
    { seed: 15, tokens: 4, large: true, family: 'deepseek_v3' },
  ),
  moeCase(
    'moe/mixtral-layer-width',
    'Mixtral-8x7B layer width (H 4096, I 14336) with 2 of its 8 experts, top-1 — on demand only (~1.4 GB).',
    { ...mixtralTiny, hiddenSize: 4096, expertIntermediateSize: 14336, numExperts: 2, router: { ...mixtralTiny.router, topK: 1 } },
    { seed: 16, tokens: 4, large: true, family: 'mixtral' },
  ),
];
