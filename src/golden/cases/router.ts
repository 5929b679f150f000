/**
 * Golden cases of the router alone: each published model's router settings, exact ties, logits of
 * ±1e4 for softmax and sigmoid scoring.
 */
import type { MoEConfig } from '../../moe/index.js';
import { ROUTER_PRESETS } from '../../router/router.js';
import type { GoldenCase } from '../case.js';
import { routerCase, scaleRouter, tieRouterRows } from './helpers.js';

const base = { hiddenSize: 24, numExperts: 8, expertIntermediateSize: 1, router: { topK: 2 } } satisfies MoEConfig;

const presetCases = Object.entries(ROUTER_PRESETS).map(([preset, options], i) =>
  routerCase(
    `router/preset-${preset}`,
    `Router settings of ${preset}: ${JSON.stringify(options)}.`,
    { ...base, router: { ...base.router, ...options, scoreCorrectionBias: preset === 'deepseek-v3', bias: preset === 'gpt-oss' }, naming: preset === 'deepseek-v3' ? 'deepseek' : undefined },
    { seed: 100 + i, tokens: 16 },
  ),
);

export const routerCases: GoldenCase[] = [
  ...presetCases,
  routerCase('router/exact-ties-top2', 'Router rows 2 = 5 = 6: exact ties inside and at the top-2 boundary; the lower index wins, margins 0.', base, { seed: 120, tokens: 16, edit: tieRouterRows(2, [5, 6]) }),
  routerCase('router/huge-logits-softmax', 'Logits of order ±1e4 with softmax scores: probabilities saturate to exactly 0 and 1.', base, { seed: 121, tokens: 16, edit: scaleRouter(2e4) }),
  routerCase(
    'router/huge-logits-sigmoid',
    'Logits of order ±1e4 with sigmoid scores and ε = 1e-20: saturated scores, ties at 1.0.',
    { ...base, router: { topK: 2, scoring: 'sigmoid', normalizationEpsilon: 1e-20 } },
    { seed: 122, tokens: 16, edit: scaleRouter(2e4) },
  ),
  routerCase('router/k1', 'k = 1 with renormalisation: weight exactly 1.', { ...base, router: { topK: 1 } }, { seed: 123, tokens: 16 }),
  routerCase('router/k-equals-n', 'k = N: every expert chosen, sorted by score; margins +Infinity.', { ...base, router: { topK: 8 } }, { seed: 124, tokens: 16 }),
];
