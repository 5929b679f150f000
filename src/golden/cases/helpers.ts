/**
 * Shared makers of golden cases: an MoE or router case is a config, a seed and a token count; the
 * parameters come from `initMoEParams` and the input from the stream "inputs.x", optionally edited
 * into an edge case (tied router rows, huge logits) by `edit`.
 */
import type { MoEConfig } from '../../moe/config.js';
import { resolveMoEConfig } from '../../moe/config.js';
import { moeConfigToHuggingFace, type HfLayerFamily } from '../../hf/layer-config.js';
import { moeParameterNames } from '../../moe/names.js';
import { initMoEParams, type StateDict } from '../../moe/params.js';
import { randomNormal } from '../../tensor/prng.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GoldenCase } from '../case.js';
import { SOFT_MOE_PARAMETER_NAMES } from '../../router/soft-moe.js';

/** Edits applied to freshly generated tensors to build an edge case. */
export type Edit = (tensors: { x: Tensor; params: StateDict }) => void;

/**
 * Options of a case. `family`: the Hugging Face model_type whose keys the metadata carries beside the
 * exact `moe_oracle` config; give one only when that family's keys build exactly this layer (router
 * cases: this router), which `moeConfigToHuggingFace` checks. Without it, no model_type is written.
 */
export interface CaseOptions {
  seed: number;
  tokens: number;
  edit?: Edit;
  large?: boolean;
  family?: HfLayerFamily;
}

/** An MoE-layer case. */
export function moeCase(name: string, description: string, config: MoEConfig, options: CaseOptions): GoldenCase {
  return {
    name,
    component: 'moe',
    description,
    config: moeConfigToHuggingFace(config, options.family),
    seed: options.seed,
    large: options.large,
    make() {
      const params = initMoEParams(config, options.seed);
      const x = randomNormal([options.tokens, config.hiddenSize], { seed: options.seed, name: 'inputs.x' });
      options.edit?.({ x, params });
      return { inputs: { x }, params };
    },
  };
}

/** A router-only case: the layer's router parameters only. */
export function routerCase(name: string, description: string, config: MoEConfig, options: CaseOptions): GoldenCase {
  return {
    name,
    component: 'router',
    description,
    config: moeConfigToHuggingFace(config, options.family, { routerOnly: true }),
    seed: options.seed,
    make() {
      const resolved = resolveMoEConfig(config);
      const names = moeParameterNames(resolved);
      const all = initMoEParams({ ...config, expertIntermediateSize: 1, sharedExpertIntermediateSize: 0, sharedExpertGate: false }, options.seed);
      const params: StateDict = {};
      for (const key of [names.routerWeight, names.routerBias, names.scoreCorrectionBias, names.routerNoiseWeight, SOFT_MOE_PARAMETER_NAMES.mu, SOFT_MOE_PARAMETER_NAMES.scale]) if (all[key]) params[key] = all[key];
      const x = randomNormal([options.tokens, config.hiddenSize], { seed: options.seed, name: 'inputs.x' });
      options.edit?.({ x, params });
      return { inputs: { x }, params };
    },
  };
}

/** Makes router rows `copies` equal to row `source`, so those experts' logits tie exactly. */
export function tieRouterRows(source: number, copies: number[], weightName = 'gate.weight'): Edit {
  return ({ params }) => {
    const w = params[weightName];
    const H = w.shape[1];
    for (const row of copies) w.data.copyWithin(row * H, source * H, (source + 1) * H);
  };
}

/** Multiplies the router weight so that logits reach ±`target` (float32 rounding of the product). */
export function scaleRouter(factor: number, weightName = 'gate.weight'): Edit {
  return ({ params }) => {
    const w = params[weightName].data;
    for (let i = 0; i < w.length; i++) w[i] = w[i] * factor;
  };
}
