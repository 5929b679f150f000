/**
 * MoE layer configs to and from Hugging Face config.json keys, so a user's config.json drops in and
 * golden files carry their config under the keys other ecosystems know.
 *
 *   model_type            experts key            expert size key                          shared expert
 *   mixtral               num_local_experts      intermediate_size                        —
 *   qwen2_moe             num_experts            moe_intermediate_size                    shared_expert_intermediate_size (+ gate)
 *   qwen3_moe, olmoe      num_experts            moe_intermediate_size (olmoe: intermediate_size)  —
 *   deepseek_v2/v3        n_routed_experts       moe_intermediate_size                    n_shared_experts · moe_intermediate_size
 *   switch_transformers   num_experts            d_ff  (k = 1, ReLU experts)              —
 *
 * Keys without a Hugging Face equivalent are carried under `moe_oracle` (the exact MoEConfig).
 * Group-limited routing (DeepSeek `n_group` > 1 with `topk_group` < `n_group`) is not implemented by
 * this layer yet, so such a config is rejected rather than silently routed without groups.
 */
import { MoEOracleError, describe } from '../tensor/errors.js';
import type { RouterConfig } from '../router/router.js';
import { resolveMoEConfig, type MoEConfig } from './config.js';

type HFConfig = Record<string, unknown>;

function requireKey(hf: HFConfig, key: string): number {
  const value = hf[key];
  if (typeof value !== 'number') throw new MoEOracleError(`config.${key}`, `a number (required for model_type ${JSON.stringify(hf.model_type)})`, describe(value));
  return value;
}

function optionalBoolean(hf: HFConfig, key: string, fallback: boolean): boolean {
  const value = hf[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new MoEOracleError(`config.${key}`, 'true or false', describe(value));
  return value;
}

export const MOE_MODEL_TYPES = ['mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe', 'deepseek_v2', 'deepseek_v3', 'switch_transformers'] as const;

/**
 * Reads one MoE layer's config from a Hugging Face config.json object. An object that carries a
 * `moe_oracle` key (as golden files do) is read from that key, exactly.
 */
export function moeConfigFromHuggingFace(hf: HFConfig): MoEConfig {
  if (typeof hf !== 'object' || hf === null || Array.isArray(hf)) throw new MoEOracleError('config', 'a JSON object', describe(hf));
  if (hf.moe_oracle !== undefined) {
    resolveMoEConfig(hf.moe_oracle as MoEConfig);
    return hf.moe_oracle as MoEConfig;
  }
  const modelType = hf.model_type;
  const base = { hiddenSize: requireKey(hf, 'hidden_size') };
  let config: MoEConfig;
  switch (modelType) {
    case 'mixtral':
      config = { ...base, numExperts: requireKey(hf, 'num_local_experts'), expertIntermediateSize: requireKey(hf, 'intermediate_size'), router: { topK: requireKey(hf, 'num_experts_per_tok'), normalization: 'sum' }, naming: 'mixtral' };
      break;
    case 'qwen2_moe': {
      const shared = typeof hf.shared_expert_intermediate_size === 'number' ? hf.shared_expert_intermediate_size : 0;
      config = {
        ...base, numExperts: requireKey(hf, 'num_experts'), expertIntermediateSize: requireKey(hf, 'moe_intermediate_size'),
        router: { topK: requireKey(hf, 'num_experts_per_tok'), normalization: optionalBoolean(hf, 'norm_topk_prob', false) ? 'sum' : 'none' },
        sharedExpertIntermediateSize: shared, sharedExpertGate: shared > 0, naming: 'qwen2-moe',
      };
      break;
    }
    case 'qwen3_moe':
    case 'olmoe':
      config = {
        ...base, numExperts: requireKey(hf, 'num_experts'),
        expertIntermediateSize: requireKey(hf, modelType === 'olmoe' ? 'intermediate_size' : 'moe_intermediate_size'),
        router: { topK: requireKey(hf, 'num_experts_per_tok'), normalization: optionalBoolean(hf, 'norm_topk_prob', modelType === 'qwen3_moe') ? 'sum' : 'none' }, naming: 'qwen2-moe',
      };
      break;
    case 'deepseek_v2':
    case 'deepseek_v3': {
      const groups = typeof hf.n_group === 'number' ? hf.n_group : 1;
      const topkGroup = typeof hf.topk_group === 'number' ? hf.topk_group : groups;
      if (groups > 1 && topkGroup < groups) {
        throw new MoEOracleError('config.topk_group', `${groups} (= n_group; group-limited routing is not implemented yet)`, String(topkGroup));
      }
      const expertSize = requireKey(hf, 'moe_intermediate_size');
      const sharedCount = typeof hf.n_shared_experts === 'number' ? hf.n_shared_experts : 0;
      const v3 = modelType === 'deepseek_v3';
      const scoring = (hf.scoring_func ?? (v3 ? 'sigmoid' : 'softmax')) as RouterConfig['scoring'];
      config = {
        ...base, numExperts: requireKey(hf, 'n_routed_experts'), expertIntermediateSize: expertSize,
        router: {
          topK: requireKey(hf, 'num_experts_per_tok'), scoring, normalization: optionalBoolean(hf, 'norm_topk_prob', v3) ? 'sum' : 'none',
          normalizationEpsilon: v3 ? 1e-20 : 0,
          routedScalingFactor: typeof hf.routed_scaling_factor === 'number' ? hf.routed_scaling_factor : 1,
          scoreCorrectionBias: v3,
        },
        sharedExpertIntermediateSize: sharedCount * expertSize, naming: 'deepseek',
      };
      break;
    }
    case 'switch_transformers':
      config = { hiddenSize: requireKey(hf, 'd_model'), numExperts: requireKey(hf, 'num_experts'), expertIntermediateSize: requireKey(hf, 'd_ff'), router: { topK: 1, normalization: 'none' }, expertKind: 'relu', naming: 'switch' };
      break;
    default:
      throw new MoEOracleError('config.model_type', `one of ${MOE_MODEL_TYPES.join(', ')} (or a "moe_oracle" config)`, describe(modelType));
  }
  resolveMoEConfig(config);
  return config;
}

/**
 * The Hugging Face keys of a config, following its naming scheme, plus `moe_oracle` with the exact
 * MoEConfig (which is what `moeConfigFromHuggingFace` reads back).
 */
export function moeConfigToHuggingFace(config: MoEConfig): HFConfig {
  const c = resolveMoEConfig(config);
  const common: HFConfig = { hidden_size: c.hiddenSize, num_experts_per_tok: c.router.topK };
  let hf: HFConfig;
  switch (c.naming) {
    case 'mixtral':
      hf = { model_type: 'mixtral', ...common, num_local_experts: c.numExperts, intermediate_size: c.expertIntermediateSize };
      break;
    case 'qwen2-moe':
      hf = {
        model_type: 'qwen2_moe', ...common, num_experts: c.numExperts, moe_intermediate_size: c.expertIntermediateSize,
        shared_expert_intermediate_size: c.sharedExpertIntermediateSize, norm_topk_prob: c.router.normalization === 'sum',
      };
      break;
    case 'deepseek':
      hf = {
        model_type: c.router.scoring === 'sigmoid' ? 'deepseek_v3' : 'deepseek_v2', ...common, n_routed_experts: c.numExperts,
        moe_intermediate_size: c.expertIntermediateSize, n_shared_experts: c.sharedExpertIntermediateSize / c.expertIntermediateSize,
        scoring_func: c.router.scoring, norm_topk_prob: c.router.normalization === 'sum', routed_scaling_factor: c.router.routedScalingFactor, n_group: 1, topk_group: 1,
      };
      break;
    case 'switch':
      hf = { model_type: 'switch_transformers', d_model: c.hiddenSize, num_experts: c.numExperts, d_ff: c.expertIntermediateSize };
      break;
  }
  hf.moe_oracle = { ...config };
  return hf;
}
