/**
 * Golden cases of the router alone: each published model's router settings, exact ties, logits of
 * ±1e4 for softmax and sigmoid scoring.
 */
import type { MoEConfig } from '../../moe/index.js';
import { ROUTER_PRESETS } from '../../router/router.js';
import type { GoldenCase } from '../case.js';
import type { HfLayerFamily } from '../../hf/layer-config.js';
import { routerCase, scaleRouter, tieRouterRows } from './helpers.js';

const base = { hiddenSize: 24, numExperts: 8, expertIntermediateSize: 1, router: { topK: 2 } } satisfies MoEConfig;

/**
 * Each preset's case: its name, k, and the Hugging Face family whose keys build exactly this router
 * (none for Switch: transformers' Switch router also applies a fixed expert capacity).
 */
const PRESET_CASES: Record<keyof typeof ROUTER_PRESETS, { name: string; topK: number; family?: HfLayerFamily; model: string }> = {
  mixtral: { name: 'mixtral', topK: 2, family: 'mixtral', model: 'Mixtral' },
  'qwen2-moe': { name: 'qwen2-moe', topK: 2, family: 'qwen2_moe', model: 'Qwen2-MoE' },
  olmoe: { name: 'olmoe', topK: 2, family: 'olmoe', model: 'OLMoE' },
  'qwen3-moe': { name: 'qwen3-moe', topK: 2, family: 'qwen3_moe', model: 'Qwen3-MoE' },
  switch: { name: 'switch', topK: 1, model: 'Switch Transformers (top-1; without its expert capacity)' },
  dbrx: { name: 'dbrx', topK: 2, family: 'dbrx', model: 'DBRX' },
  'gpt-oss': { name: 'gpt-oss', topK: 2, family: 'gpt_oss', model: 'gpt-oss' },
  'deepseek-v2': { name: 'deepseek-v2-lite', topK: 2, family: 'deepseek_v2', model: 'DeepSeek-V2-Lite (greedy top-k, routed_scaling_factor 1.0; DeepSeek-V2 itself routes group-limited with scaling 16.0)' },
  'deepseek-v3': { name: 'deepseek-v3', topK: 2, family: 'deepseek_v3', model: 'DeepSeek-V3 (without its expert groups)' },
};

const presetCases = Object.entries(ROUTER_PRESETS).map(([preset, options], i) => {
  const { name, topK, family, model } = PRESET_CASES[preset as keyof typeof ROUTER_PRESETS];
  return routerCase(
    `router/preset-${name}`,
    `Router settings of ${model}: ${JSON.stringify(options)}, k = ${topK}.`,
    { ...base, router: { ...base.router, topK, ...options, scoreCorrectionBias: preset === 'deepseek-v3', bias: preset === 'gpt-oss' }, naming: preset === 'deepseek-v3' ? 'deepseek' : undefined },
    { seed: 100 + i, tokens: 16, family },
  );
});

export const routerCases: GoldenCase[] = [
  ...presetCases,
  routerCase('router/exact-ties-top2', 'Router rows 2 = 5 = 6: exact ties inside and at the top-2 boundary; the lower index wins, margins 0.', base, { seed: 120, tokens: 16, family: 'mixtral', edit: tieRouterRows(2, [5, 6]) }),
  routerCase('router/huge-logits-softmax', 'Logits of order ±1e4 with softmax scores: probabilities saturate to exactly 0 and 1.', base, { seed: 121, tokens: 16, family: 'mixtral', edit: scaleRouter(2e4) }),
  routerCase(
    'router/huge-logits-sigmoid',
    'Logits of order ±1e4 with sigmoid scores and ε = 1e-20: saturated scores, ties at 1.0.',
    { ...base, router: { topK: 2, scoring: 'sigmoid', normalizationEpsilon: 1e-20 } },
    { seed: 122, tokens: 16, edit: scaleRouter(2e4) },
  ),
  routerCase('router/k1', 'k = 1 with renormalisation: weight exactly 1.', { ...base, router: { topK: 1 } }, { seed: 123, tokens: 16, family: 'mixtral' }),
  routerCase('router/k-equals-n', 'k = N: every expert chosen, sorted by score; margins +Infinity.', { ...base, router: { topK: 8 } }, { seed: 124, tokens: 16, family: 'mixtral' }),
];
