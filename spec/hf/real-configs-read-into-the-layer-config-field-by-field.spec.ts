// The config.json of each supported family's published model, read by src/hf, gives the MoE layer
// config (and the MoE block) that the family's transformers modelling file builds, field by field.
// The expected values are the models' published settings, written out here, not taken from src/.
import { describe, expect, it } from 'vitest';
import { moeConfigFromHuggingFace, readHfMoeBlock, resolveMoEConfig, type MoEConfig } from '../../src/index.js';
import { findPreset } from '../../src/params/presets.js';
import { GPT_OSS_20B, LLAMA_4_SCOUT, SWITCH_BASE_8 } from './real-configs.js';
import { errorOf } from '../helpers.js';

const preset = (name: string) => findPreset(name)!.config;
const layer = (json: unknown) => resolveMoEConfig(moeConfigFromHuggingFace(json));
const expectLayer = (json: unknown, expected: MoEConfig) => expect(layer(json)).toEqual(resolveMoEConfig(expected));

describe('the layer config of a published config.json', () => {
  it('Mixtral-8x7B: 8 SwiGLU experts of 14336, top-2, softmax then renormalise', () => {
    expectLayer(preset('mixtral-8x7b'), {
      hiddenSize: 4096, numExperts: 8, expertIntermediateSize: 14336,
      router: { topK: 2, scoring: 'softmax', normalization: 'sum', normalizationEpsilon: 0, routedScalingFactor: 1 }, naming: 'mixtral',
    });
  });

  it('Qwen1.5-MoE-A2.7B: 60 experts of 1408, top-4, raw weights, one shared expert of 5632 behind its sigmoid gate', () => {
    expectLayer(preset('qwen1.5-moe-a2.7b'), {
      hiddenSize: 2048, numExperts: 60, expertIntermediateSize: 1408, router: { topK: 4, normalization: 'none' },
      sharedExpertIntermediateSize: 5632, sharedExpertGate: true, naming: 'qwen2-moe',
    });
  });

  it('Qwen3-30B-A3B: 128 experts of 768, top-8, renormalised (norm_topk_prob true); without the key, raw weights (transformers default false)', () => {
    const config = preset('qwen3-30b-a3b');
    expectLayer(config, { hiddenSize: 2048, numExperts: 128, expertIntermediateSize: 768, router: { topK: 8, normalization: 'sum' }, naming: 'qwen2-moe' });
    const { norm_topk_prob: _, ...withoutFlag } = config;
    expect(layer(withoutFlag).router.normalization).toBe('none');
  });

  it('OLMoE-1B-7B: 64 experts of intermediate_size 1024 (OLMoE has no moe_intermediate_size), top-8, raw weights', () => {
    expectLayer(preset('olmoe-1b-7b'), { hiddenSize: 2048, numExperts: 64, expertIntermediateSize: 1024, router: { topK: 8, normalization: 'none' }, naming: 'qwen2-moe' });
  });

  it('DeepSeek-V2-Lite: 64 experts of 1408, top-6, raw softmax weights times 1.0, 2 shared experts', () => {
    expectLayer(preset('deepseek-v2-lite'), {
      hiddenSize: 2048, numExperts: 64, expertIntermediateSize: 1408, router: { topK: 6, scoring: 'softmax', normalization: 'none', routedScalingFactor: 1 },
      sharedExpertIntermediateSize: 2 * 1408, naming: 'deepseek',
    });
  });

  it('DeepSeekMoE-16B: 64 experts of 1408, top-6, raw weights, 2 shared experts', () => {
    expectLayer(preset('deepseek-moe-16b'), {
      hiddenSize: 2048, numExperts: 64, expertIntermediateSize: 1408, router: { topK: 6, normalization: 'none' }, sharedExpertIntermediateSize: 2 * 1408, naming: 'deepseek',
    });
  });

  it('DeepSeek-V3 with its groups all kept (topk_group = n_group): sigmoid, selection bias, ε 1e-20, scaling 2.5, 1 shared expert, noaux_tc groups', () => {
    expectLayer({ ...preset('deepseek-v3'), topk_group: 8 }, {
      hiddenSize: 7168, numExperts: 256, expertIntermediateSize: 2048,
      router: {
        topK: 8, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5, scoreCorrectionBias: true,
        groups: { method: 'noaux_tc', numGroups: 8, topkGroup: 8 },
      },
      sharedExpertIntermediateSize: 2048, naming: 'deepseek',
    });
  });

  it('DeepSeek-V3 as released (topk_group 4 of n_group 8): the layer routes in 4 of 8 groups scored by their top-2 sum (noaux_tc)', () => {
    expect(readHfMoeBlock(preset('deepseek-v3')).groups).toEqual({ numGroups: 8, topkGroup: 4, groupScore: 'top2-sum' });
    expect(layer(preset('deepseek-v3')).router.groups).toEqual({ method: 'noaux_tc', numGroups: 8, topkGroup: 4 });
  });

  it('DeepSeek-V2 as released (group_limited_greedy, 3 of 8 groups): groups scored by their maximum; V2-Lite (greedy) has none', () => {
    expect(readHfMoeBlock(preset('deepseek-v2')).groups).toEqual({ numGroups: 8, topkGroup: 3, groupScore: 'max' });
    expect(layer(preset('deepseek-v2')).router).toMatchObject({ topK: 6, normalization: 'none', routedScalingFactor: 16, groups: { method: 'group_limited_greedy', numGroups: 8, topkGroup: 3 } });
    expect(layer({ ...preset('deepseek-v2'), topk_method: 'greedy' }).router.groups).toBeUndefined();
    expect(layer(preset('deepseek-v2-lite')).router.groups).toBeUndefined();
  });

  it('DBRX: ffn_config read (16 experts of 10752, top-4), p-norm with p = 1 by default, p = 2 or none as moe_normalize_expert_weights says', () => {
    const dbrx = preset('dbrx') as { ffn_config: Record<string, unknown> };
    expectLayer(dbrx, { hiddenSize: 6144, numExperts: 16, expertIntermediateSize: 10752, router: { topK: 4, normalization: 'pnorm', pnormP: 1 }, naming: 'mixtral' });
    expect(layer({ ...dbrx, ffn_config: { ...dbrx.ffn_config, moe_normalize_expert_weights: 2.0 } }).router).toMatchObject({ normalization: 'pnorm', pnormP: 2 });
    expect(layer({ ...dbrx, ffn_config: { ...dbrx.ffn_config, moe_normalize_expert_weights: null } }).router.normalization).toBe('none');
  });

  it('gpt-oss-20b: every MoE key read (router bias, softmax over the top-4 logits, 32 experts of 2880, swiglu_limit 7); the layer reads it with gpt-oss experts, the router alone too', () => {
    const block = readHfMoeBlock(GPT_OSS_20B);
    expect(block).toMatchObject({
      hiddenSize: 2880, numExperts: 32, topK: 4, expertKind: 'gpt-oss', expertIntermediateSize: 2880, expertBias: true, swigluLimit: 7,
      router: { scoring: 'softmax', normalization: 'softmax-topk', bias: true, scoreCorrectionBias: false, routedScalingFactor: 1 },
      sharedExperts: null, groups: null, expertCapacity: null, routerJitterNoise: 0,
    });
    // The layer runs gpt-oss experts (src/experts/gpt-oss.ts), so the whole block is read, with the fused naming.
    expect(resolveMoEConfig(moeConfigFromHuggingFace(GPT_OSS_20B))).toMatchObject({
      hiddenSize: 2880, numExperts: 32, expertIntermediateSize: 2880, expertKind: 'gpt-oss', naming: 'gpt-oss', router: { topK: 4, normalization: 'softmax-topk', bias: true },
    });
    expect(resolveMoEConfig(moeConfigFromHuggingFace(GPT_OSS_20B, { routerOnly: true })).router).toEqual(
      resolveMoEConfig({ hiddenSize: 1, numExperts: 32, expertIntermediateSize: 1, router: { topK: 4, normalization: 'softmax-topk', bias: true } }).router,
    );
  });

  it('switch-base-8: d_model, d_ff, 8 ReLU experts, top-1; expert_capacity 64 a fixed capacity, dropped tokens 0 (transformers since #37123) or passed through; jitter 0.01 off for inference', () => {
    expect(readHfMoeBlock(SWITCH_BASE_8)).toMatchObject({
      hiddenSize: 768, numExperts: 8, topK: 1, expertKind: 'relu', expertIntermediateSize: 3072,
      router: { scoring: 'softmax', normalization: 'none', bias: false }, expertCapacity: 64, routerJitterNoise: 0.01,
    });
    expectLayer(SWITCH_BASE_8, {
      hiddenSize: 768, numExperts: 8, expertIntermediateSize: 3072, expertKind: 'relu', naming: 'switch',
      router: {
        topK: 1, normalization: 'none',
        capacity: { formula: 'fixed', expertCapacity: 64, dropped: 'zero' },
        noise: { kind: 'jitter', epsilon: 0.01, seed: 0, enabled: false },
      },
    });
    const older = resolveMoEConfig(moeConfigFromHuggingFace(SWITCH_BASE_8, { switchDroppedTokens: 'pass-through', sequenceLength: 128, training: { seed: 5 } }));
    expect(older.router.capacity).toMatchObject({ formula: 'fixed', expertCapacity: 64, dropped: 'pass-through', groupSize: 128, dropPolicy: 'position-choice-major' });
    expect(older.router.noise).toEqual({ kind: 'jitter', epsilon: 0.01, seed: 5, enabled: true });
    expect(errorOf(() => moeConfigFromHuggingFace({ ...SWITCH_BASE_8, expert_capacity: 0 })).argument).toBe('config.expert_capacity');
  });

  it('Llama-4-Scout (model_type llama4, text_config) and its text config alone: 16 experts of 8192, top-1 on logits, sigmoid weight on the input, one shared expert of 8192', () => {
    const expected: MoEConfig = {
      hiddenSize: 5120, numExperts: 16, expertIntermediateSize: 8192, sharedExpertIntermediateSize: 8192, naming: 'llama4', routerWeightOn: 'input',
      router: { topK: 1, scoring: 'sigmoid', normalization: 'none', selectOn: 'logits' },
    };
    const scout = LLAMA_4_SCOUT;
    expectLayer(scout, expected);
    expectLayer({ ...scout.text_config, model_type: 'llama4_text' }, expected);
    expect(errorOf(() => moeConfigFromHuggingFace({ ...scout.text_config, model_type: 'llama4_text', router_jitter_noise: 0.1 })).argument).toBe('config.router_jitter_noise');
  });
});
