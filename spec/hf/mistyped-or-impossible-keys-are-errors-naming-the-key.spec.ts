// A value of the wrong type is never read as the default, and an impossible relation between keys is
// never run: both are a MoEOracleError naming the key, the expected type or range, and the value.
import { describe, expect, it } from 'vitest';
import { moeConfigFromHuggingFace, readHfAttention, readHfModel, resolveMoEConfig } from '../../src/index.js';
import { findPreset } from '../../src/params/presets.js';
import { errorOf } from '../helpers.js';

const preset = (name: string) => findPreset(name)!.config;
const v3AllGroups = { ...preset('deepseek-v3'), topk_group: 8 };

describe('the Hugging Face reader', () => {
  it('refuses a string where a number belongs, naming the key, the expected type and the string', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ ...v3AllGroups, routed_scaling_factor: '2.5' }, 'config.routed_scaling_factor', '"2.5"'],
      [{ ...v3AllGroups, n_shared_experts: '1' }, 'config.n_shared_experts', '"1"'],
      [{ ...v3AllGroups, n_group: '8' }, 'config.n_group', '"8"'],
      [{ ...preset('qwen1.5-moe-a2.7b'), shared_expert_intermediate_size: '88' }, 'config.shared_expert_intermediate_size', '"88"'],
      [{ ...preset('mixtral-8x7b'), num_experts_per_tok: '2' }, 'config.num_experts_per_tok', '"2"'],
      [{ ...preset('qwen3-30b-a3b'), norm_topk_prob: 'true' }, 'config.norm_topk_prob', '"true"'],
    ];
    for (const [config, argument, actual] of cases) {
      const error = errorOf(() => moeConfigFromHuggingFace(config));
      expect(error.argument).toBe(argument);
      expect(error.actual).toBe(actual);
      expect(error.expected).toMatch(/number|integer|true or false/);
    }
  });

  it('refuses k > N, kv heads that do not divide the heads, groups that do not divide the experts', () => {
    expect(errorOf(() => moeConfigFromHuggingFace({ ...preset('mixtral-8x7b'), num_experts_per_tok: 9 })).argument).toBe('config.num_experts_per_tok');
    expect(errorOf(() => readHfAttention({ ...preset('mixtral-8x7b'), num_key_value_heads: 64 })).argument).toBe('config.num_key_value_heads');
    expect(errorOf(() => readHfAttention({ ...preset('mixtral-8x7b'), num_key_value_heads: 12 })).argument).toBe('config.num_key_value_heads');
    expect(errorOf(() => moeConfigFromHuggingFace({ ...v3AllGroups, n_group: 7, topk_group: 7 })).argument).toBe('config.n_group');
    expect(errorOf(() => moeConfigFromHuggingFace({ ...preset('deepseek-v3'), topk_group: 9 })).argument).toBe('config.topk_group');
  });

  it('refuses a scoring or top-k method that the family\'s transformers class does not implement', () => {
    expect(errorOf(() => moeConfigFromHuggingFace({ ...v3AllGroups, scoring_func: 'softmax' })).argument).toBe('config.scoring_func');
    expect(errorOf(() => moeConfigFromHuggingFace({ ...v3AllGroups, topk_method: 'greedy' })).argument).toBe('config.topk_method');
    expect(errorOf(() => moeConfigFromHuggingFace({ ...preset('deepseek-v2-lite'), norm_topk_prob: true })).argument).toBe('config.norm_topk_prob');
    expect(errorOf(() => moeConfigFromHuggingFace({ ...preset('mixtral-8x7b'), hidden_act: 'gelu' })).argument).toBe('config.hidden_act');
  });

  it('reads router jitter (training-time noise) as off for inference, on with a seed in training mode; a jitter outside [0, 1] names the key', () => {
    const mixtral = { ...preset('mixtral-8x7b'), router_jitter_noise: 0.01 };
    expect(resolveMoEConfig(moeConfigFromHuggingFace(mixtral)).router.noise).toEqual({ kind: 'jitter', epsilon: 0.01, seed: 0, enabled: false });
    expect(resolveMoEConfig(moeConfigFromHuggingFace(mixtral, { training: { seed: 3 } })).router.noise).toEqual({ kind: 'jitter', epsilon: 0.01, seed: 3, enabled: true });
    expect(errorOf(() => moeConfigFromHuggingFace({ ...mixtral, router_jitter_noise: 2 })).argument).toBe('config.router_jitter_noise');
    const dbrx = preset('dbrx') as { ffn_config: Record<string, unknown> };
    expect(errorOf(() => moeConfigFromHuggingFace({ ...dbrx, ffn_config: { ...dbrx.ffn_config, moe_jitter_eps: -1 } })).argument).toBe('config.ffn_config.moe_jitter_eps');
  });


  it('reads an integral float as a float (JSON has one number type) and names the model_type it read for', () => {
    expect(moeConfigFromHuggingFace({ ...v3AllGroups, routed_scaling_factor: 1 }).router.routedScalingFactor).toBe(1);
    expect(errorOf(() => readHfModel({ ...preset('mixtral-8x7b'), hidden_size: '4096' })).expected).toContain('model_type "mixtral"');
  });

  it('a config that carries both family keys and moe_oracle must describe one layer', () => {
    const exact = { hiddenSize: 16, numExperts: 4, expertIntermediateSize: 8, router: { topK: 2, normalization: 'none' as const } };
    const keys = { model_type: 'mixtral', hidden_size: 16, intermediate_size: 8, num_local_experts: 4, num_experts_per_tok: 2 };
    const error = errorOf(() => moeConfigFromHuggingFace({ ...keys, moe_oracle: exact }));
    expect(error.argument).toBe('config.model_type');
    expect(error.actual).toContain('router.normalization');
    expect(moeConfigFromHuggingFace({ ...keys, model_type: 'olmoe', num_experts: 4, norm_topk_prob: false, moe_oracle: exact })).toEqual(exact);
  });
});
