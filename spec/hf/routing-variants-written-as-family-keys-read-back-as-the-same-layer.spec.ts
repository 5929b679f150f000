// moeConfigToHuggingFace writes a layer's routing variants as its family's keys (DeepSeek's n_group,
// topk_group, topk_method; Switch's expert_capacity and router_jitter_noise; Mixtral's
// router_jitter_noise; Llama 4's text_config), and those keys alone read back as the same layer. A
// layer the keys cannot describe (a per-row Switch capacity: config.json has no sequence length) is
// refused, naming `family`.
import { describe, expect, it } from 'vitest';
import { moeConfigFromHuggingFace, moeConfigToHuggingFace, resolveMoEConfig, type MoEConfig } from '../../src/index.js';
import { firstDifference, type HfLayerFamily } from '../../src/hf/layer-config.js';
import { MoEOracleError } from '../../src/tensor/errors.js';

const deepseekV3: MoEConfig = {
  hiddenSize: 56, numExperts: 32, expertIntermediateSize: 16, sharedExpertIntermediateSize: 16, naming: 'deepseek',
  router: { topK: 4, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5, scoreCorrectionBias: true, groups: { method: 'noaux_tc', numGroups: 8, topkGroup: 4 } },
};
const deepseekV2: MoEConfig = {
  hiddenSize: 24, numExperts: 16, expertIntermediateSize: 8, sharedExpertIntermediateSize: 16, naming: 'deepseek',
  router: { topK: 3, normalization: 'none', routedScalingFactor: 16, groups: { method: 'group_limited_greedy', numGroups: 4, topkGroup: 2 } },
};
const switchLayer: MoEConfig = {
  hiddenSize: 16, numExperts: 8, expertIntermediateSize: 64, expertKind: 'relu', naming: 'switch',
  router: { topK: 1, normalization: 'none', capacity: { formula: 'fixed', expertCapacity: 3 }, noise: { kind: 'jitter', epsilon: 0.01, seed: 0, enabled: false } },
};
const mixtralJitter: MoEConfig = { hiddenSize: 16, numExperts: 8, expertIntermediateSize: 32, naming: 'mixtral', router: { topK: 2, noise: { kind: 'jitter', epsilon: 0.2, seed: 0, enabled: false } } };
const llama4: MoEConfig = {
  hiddenSize: 20, numExperts: 4, expertIntermediateSize: 32, sharedExpertIntermediateSize: 32, naming: 'llama4', routerWeightOn: 'input',
  router: { topK: 1, scoring: 'sigmoid', normalization: 'none', selectOn: 'logits' },
};

const cases: Array<[string, MoEConfig, HfLayerFamily]> = [
  ['DeepSeek-V3 noaux_tc groups', deepseekV3, 'deepseek_v3'],
  ['DeepSeek-V2 group_limited_greedy groups', deepseekV2, 'deepseek_v2'],
  ['Switch fixed capacity (dropped tokens 0) and jitter off', switchLayer, 'switch_transformers'],
  ['Mixtral router_jitter_noise, off', mixtralJitter, 'mixtral'],
  ['Llama 4 text config', llama4, 'llama4_text'],
  ['Llama 4 multimodal config (text_config)', llama4, 'llama4'],
];

describe('routing variants as Hugging Face keys', () => {
  it.each(cases)('%s: the keys alone read back as the same layer', (_name, config, family) => {
    const { moe_oracle: _, ...keys } = moeConfigToHuggingFace(config, family);
    expect(keys.model_type).toBe(family);
    expect(firstDifference(resolveMoEConfig(config), resolveMoEConfig(moeConfigFromHuggingFace(keys)))).toBeNull();
  });

  it('writes the keys each family reads: n_group / topk_group / topk_method, expert_capacity, router_jitter_noise, text_config', () => {
    expect(moeConfigToHuggingFace(deepseekV2, 'deepseek_v2')).toMatchObject({ topk_method: 'group_limited_greedy', n_group: 4, topk_group: 2 });
    expect(moeConfigToHuggingFace(deepseekV3, 'deepseek_v3')).toMatchObject({ topk_method: 'noaux_tc', n_group: 8, topk_group: 4 });
    expect(moeConfigToHuggingFace(switchLayer, 'switch_transformers')).toMatchObject({ expert_capacity: 3, router_jitter_noise: 0.01, dense_act_fn: 'relu' });
    expect(moeConfigToHuggingFace(llama4, 'llama4')).toMatchObject({ text_config: { num_local_experts: 4, num_experts_per_tok: 1, intermediate_size: 32 } });
  });

  it('refuses keys that would describe another layer, naming family: a per-row capacity, pass-through under the default read, V2 groups as V3, a jitter that is on', () => {
    const refused: Array<[MoEConfig, HfLayerFamily]> = [
      [{ ...switchLayer, router: { ...switchLayer.router, capacity: { formula: 'fixed', expertCapacity: 3, groupSize: 8 } } }, 'switch_transformers'],
      [{ ...switchLayer, router: { ...switchLayer.router, capacity: { formula: 'fixed', expertCapacity: 3, dropped: 'pass-through' } } }, 'switch_transformers'],
      [{ ...deepseekV3, router: { ...deepseekV3.router, groups: { method: 'group_limited_greedy', numGroups: 8, topkGroup: 4 } } }, 'deepseek_v3'],
      [{ ...mixtralJitter, router: { topK: 2, noise: { kind: 'jitter', epsilon: 0.2, seed: 1 } } }, 'mixtral'],
      [{ ...llama4, routerWeightOn: 'output' }, 'llama4_text'],
    ];
    for (const [config, family] of refused) {
      let error: unknown;
      try {
        moeConfigToHuggingFace(config, family);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MoEOracleError);
      expect((error as MoEOracleError).argument).toBe('family');
    }
  });
});
