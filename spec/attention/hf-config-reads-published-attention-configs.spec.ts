// attentionConfigFromHuggingFace reads the attention of published config.json files (the presets of
// src/params/presets.ts) through src/hf: every MLA dim of DeepSeek-V2, V2-Lite and V3, Mixtral's GQA,
// the RoPE layout rope_interleave selects, YaRN's keys; the cache arithmetic of the result is the
// calculator's; unsupported keys are refused by name.
import { describe, expect, it } from 'vitest';
import { attentionConfigFromHuggingFace, findPreset, kvCacheElementsPerTokenPerLayer, kvCacheShapeOf, MoEOracleError, resolveAttentionConfig } from '../../src/index.js';

const config = (name: string) => findPreset(name)!.config as Record<string, unknown>;

describe('attention config from Hugging Face config.json', () => {
  it('DeepSeek-V3: real MLA dims, YaRN, hf-interleave layout (DeepseekV3Config default)', () => {
    const v3 = { ...config('deepseek-v3'), rope_scaling: { type: 'yarn', factor: 40, original_max_position_embeddings: 4096, beta_fast: 32, beta_slow: 1, mscale: 1.0, mscale_all_dim: 1.0 }, rms_norm_eps: 1e-6 };
    const c = attentionConfigFromHuggingFace(v3);
    expect(c).toMatchObject({ kind: 'mla', hiddenSize: 7168, numHeads: 128, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128, rmsNormEps: 1e-6 });
    expect(c.rope).toMatchObject({ layout: 'hf-interleave', scaling: { type: 'yarn', factor: 40, originalMaxPositionEmbeddings: 4096, mscale: 1, mscaleAllDim: 1, variant: 'hf' } });
    expect(kvCacheElementsPerTokenPerLayer(kvCacheShapeOf(c))).toBe(576);
    expect(attentionConfigFromHuggingFace({ ...v3, rope_interleave: false }).rope!.layout).toBe('half');
  });

  it('DeepSeek-V2-Lite: q_lora_rank null; DeepSeek-V2: a query latent', () => {
    expect(attentionConfigFromHuggingFace(config('deepseek-v2-lite'))).toMatchObject({ kind: 'mla', hiddenSize: 2048, numHeads: 16, qLoraRank: null, kvLoraRank: 512 });
    expect(attentionConfigFromHuggingFace(config('deepseek-v2'))).toMatchObject({ kind: 'mla', numHeads: 128, qLoraRank: 1536 });
  });

  it("Mixtral: GQA with 32 query heads and 8 key/value heads of 128, 'half' layout, θ 1e6", () => {
    const c = attentionConfigFromHuggingFace(config('mixtral-8x7b'));
    expect(c).toMatchObject({ kind: 'gqa', hiddenSize: 4096, numHeads: 32, numKeyValueHeads: 8, headDim: 128, rope: { layout: 'half', theta: 1e6 } });
    expect(kvCacheElementsPerTokenPerLayer(kvCacheShapeOf(c))).toBe(2 * 8 * 128);
    expect(() => resolveAttentionConfig(c)).not.toThrow();
  });

  it('refuses what it does not implement, naming the key', () => {
    expect(() => attentionConfigFromHuggingFace({ ...config('mixtral-8x7b'), rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/rope_scaling\.type.*'yarn'.*"linear"/);
    expect(() => attentionConfigFromHuggingFace({ ...config('deepseek-v3'), rope_scaling: { type: 'yarn', factor: 40 } })).toThrow(MoEOracleError);
    expect(() => attentionConfigFromHuggingFace(config('qwen3-30b-a3b'))).toThrow(/q\/k norms/);
  });
});
