/**
 * Golden cases of the router's backward: for each published router (score function × weight
 * normalisation × scaling × score-correction bias), x [16, 24] and a random dL/d(topk weights) [16, k];
 * the outputs hold the forward (logits, scores, indices, weights, margins) and the gradients to the
 * logits, gate.weight, x (and gate.bias for gpt-oss).
 */
import type { MoEConfig } from '../../moe/index.js';
import type { HfLayerFamily } from '../../hf/layer-config.js';
import { ROUTER_PRESETS } from '../../router/router.js';
import { randomNormal } from '../../tensor/prng.js';
import type { GoldenCase } from '../case.js';
import { routerCase } from './helpers.js';

const base = { hiddenSize: 24, numExperts: 8, expertIntermediateSize: 1, router: { topK: 2 } } satisfies MoEConfig;
const TOKENS = 16;

function backwardCase(name: string, description: string, config: MoEConfig, seed: number, family?: HfLayerFamily): GoldenCase {
  const forward = routerCase(`router-backward/${name}`, description, config, { seed, tokens: TOKENS, family });
  return {
    ...forward,
    component: 'router-backward',
    make() {
      const { inputs, params } = forward.make();
      return { inputs: { ...inputs, grad_topk_weights: randomNormal([TOKENS, config.router.topK!], { seed, name: 'inputs.grad_topk_weights' }) }, params };
    },
  };
}

export const routerBackwardCases: GoldenCase[] = [
  ...(['mixtral', 'qwen2-moe', 'gpt-oss', 'dbrx', 'deepseek-v3'] as const).map((preset, i) =>
    backwardCase(
      `preset-${preset}`,
      `Backward of the ${preset} router: ${JSON.stringify(ROUTER_PRESETS[preset])}${preset === 'deepseek-v3' ? ', score-correction bias in selection' : ''}.`,
      { ...base, router: { ...base.router, ...ROUTER_PRESETS[preset], scoreCorrectionBias: preset === 'deepseek-v3', bias: preset === 'gpt-oss' }, naming: preset === 'deepseek-v3' ? 'deepseek' : undefined },
      400 + i,
      ({ mixtral: 'mixtral', 'qwen2-moe': 'qwen2_moe', 'gpt-oss': 'gpt_oss', dbrx: 'dbrx', 'deepseek-v3': 'deepseek_v3' } as const)[preset],
    ),
  ),
  backwardCase('sigmoid-sum-no-bias', 'Sigmoid scores, sum-normalised with ε = 1e-20 and ×2.5, without a score-correction bias.', { ...base, router: { ...base.router, ...ROUTER_PRESETS['deepseek-v3'] } }, 405),
  backwardCase('pnorm-2', 'Softmax scores with p-norm (p = 2) weight normalisation.', { ...base, router: { topK: 2, normalization: 'pnorm', pnormP: 2 } }, 406, 'dbrx'),
  backwardCase('k1-sum', 'k = 1 renormalised: the weight is 1, so the gradient to the logits is exactly 0 (Megatron-LM #894).', { ...base, router: { topK: 1 } }, 407, 'mixtral'),
];
