/**
 * Golden cases of the routings in which tokens do not choose: expert choice (each expert takes its top-c
 * tokens; src/router/expert-choice.ts) under each source's capacity formula, with groups, a router bias
 * and exact ties, and Soft MoE (dense dispatch and combine over slots; src/router/soft-moe.ts,
 * src/moe/soft-moe.ts) in vmoe's normalised form (the learned scale on either side of vmoe's rule) and
 * the paper's plain form.
 */
import type { MoEConfig } from '../../moe/config.js';
import type { GoldenCase } from '../case.js';
import { moeCase, routerCase, type Edit } from './helpers.js';

/** Sets the learned scale of Soft MoE's normalised logits (vmoe initialises it to 1). */
const softMoEScale = (scale: number): Edit => ({ params }) => {
  params['router.scale'].data[0] = scale;
};

/** Makes token `copy` an exact copy of token `source`: equal scores in every expert's column. */
const copyTokens = (pairs: [number, number][]): Edit => ({ x }) => {
  const H = x.shape[1];
  for (const [source, copy] of pairs) x.data.copyWithin(copy * H, source * H, (source + 1) * H);
};

const ecLayer = (router: MoEConfig['router'], extra: Partial<MoEConfig> = {}): MoEConfig => ({ hiddenSize: 16, numExperts: 8, expertIntermediateSize: 24, router, ...extra });
const softLayer = (softMoE: NonNullable<MoEConfig['router']['softMoE']>, extra: Partial<MoEConfig> = {}): MoEConfig => ({ hiddenSize: 16, numExperts: 4, expertIntermediateSize: 24, router: { softMoE }, ...extra });

export const routingChoiceCases: GoldenCase[] = [
  moeCase('moe/expert-choice-paper', 'Expert choice as in Zhou et al. 2022 (EC-CF2): 8 experts each take their top c = T·cf/N = 16·2/8 = 4 tokens by softmax score; a token gets 0 … 8 experts, 2 on average.', ecLayer({ expertChoice: { formula: 'paper', factor: 2 } }), { seed: 70, tokens: 16 }),
  moeCase(
    'moe/expert-choice-flaxformer-groups',
    "Expert choice as flaxformer's ExpertsChooseMaskedRouter: 2 groups of 12 tokens, 6 experts, c = max(round-half-even(1.25·12/6), 1) = round(2.5) = 2 per group (JavaScript's Math.round would give 3), router bias.",
    ecLayer({ expertChoice: { formula: 'flaxformer', factor: 1.25, minCapacity: 1, groupSize: 12 }, bias: true }, { numExperts: 6 }),
    { seed: 71, tokens: 24 },
  ),
  moeCase('moe/expert-choice-vmoe', "Expert choice as vmoe's get_top_items_per_expert_dispatcher: c = ceil(10·1/4) = 3 raised to a multiple of 4 = 4, GELU experts.", ecLayer({ expertChoice: { formula: 'vmoe', factor: 1 } }, { numExperts: 4, expertKind: 'gelu' }), { seed: 72, tokens: 10 }),
  routerCase(
    'router/expert-choice-tied-tokens',
    'Expert-choice router, 4 experts taking c = 12·1/4 = 3 tokens each; tokens 5 and 7 copy tokens 1 and 2, so columns tie exactly: the lower token index wins, margins 0 at a tied boundary.',
    { hiddenSize: 24, numExperts: 4, expertIntermediateSize: 1, router: { expertChoice: { formula: 'paper', factor: 1 } } },
    { seed: 73, tokens: 12, edit: copyTokens([[1, 5], [2, 7]]) },
  ),
  moeCase('moe/soft-moe-vmoe', "Soft MoE as vmoe's SoftRouter: x and mu l2-normalised (eps 1e-6), learned scale 2.5 applied to mu (T = 16 ≥ E·S = 8), 4 experts of 2 slots.", softLayer({ slotsPerExpert: 2 }), { seed: 74, tokens: 16, edit: softMoEScale(2.5) }),
  moeCase('moe/soft-moe-vmoe-few-tokens', 'Soft MoE in the normalised form with fewer tokens than slots (T = 4 < E·S = 8): the learned scale 0.5 is applied to x, as vmoe does; ReLU experts.', softLayer({ slotsPerExpert: 2 }, { expertKind: 'relu' }), { seed: 75, tokens: 4, edit: softMoEScale(0.5) }),
  moeCase('moe/soft-moe-paper', "Soft MoE as the paper's Algorithm 1: logits = x·Φ (no normalisation, no scale), 3 experts of 2 slots.", softLayer({ slotsPerExpert: 2, logits: 'plain' }, { numExperts: 3 }), { seed: 76, tokens: 12 }),
  routerCase('router/soft-moe-vmoe', "Soft MoE's router alone in the shape of vmoe's router_test (H 16, T 8, E 5, S = round(8/5) = 2): logits, dispatch weights (columns sum to 1), combine weights (rows sum to 1).", { hiddenSize: 16, numExperts: 5, expertIntermediateSize: 1, router: { softMoE: { slotsPerExpert: 2 } } }, { seed: 77, tokens: 8 }),
];
