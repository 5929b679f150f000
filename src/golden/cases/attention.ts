/**
 * Golden cases of attention (src/attention): MLA in each form and RoPE layout at DeepSeek-V3 and
 * DeepSeek-V2-Lite shapes scaled down (every ratio of the real head dims kept small: d_c > d_h > d_R),
 * prefill + decode through contiguous and paged latent caches, and the MHA / GQA (Mixtral: 4 query
 * heads per KV head) / MQA baselines. One case at DeepSeek-V3's real head dims (128 heads, d_c 512,
 * d_h 128, d_R 64, d_v 128, q_lora_rank 1536, H 7168) is generated on demand only (`--large`).
 */
import type { AttentionConfig, MLAConfig, StandardAttentionConfig } from '../../attention/config.js';
import { initAttentionParams } from '../../attention/params.js';
import { randomNormal } from '../../tensor/prng.js';
import { intTensor } from '../../tensor/tensor.js';
import type { AttentionCaseConfig } from '../attention-component.js';
import type { GoldenCase } from '../case.js';

/** DeepSeek-V3's attention scaled down: query latent, YaRN (factor 40, mscale 1, mscale_all_dim 1). */
const v3Tiny: MLAConfig = {
  kind: 'mla', hiddenSize: 32, numHeads: 4, qLoraRank: 12, kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 8,
  rope: { theta: 10000, layout: 'interleaved', scaling: { type: 'yarn', factor: 40, originalMaxPositionEmbeddings: 16, betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1 } },
};
/** DeepSeek-V2-Lite's attention scaled down: no query latent (one q_proj), no YaRN. */
const v2LiteTiny: MLAConfig = { kind: 'mla', hiddenSize: 24, numHeads: 3, qLoraRank: null, kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 8 };
/** DeepSeek-V3's real attention shapes. */
const v3Real: MLAConfig = {
  kind: 'mla', hiddenSize: 7168, numHeads: 128, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128,
  rope: { theta: 10000, layout: 'interleaved', scaling: { type: 'yarn', factor: 40, originalMaxPositionEmbeddings: 4096, betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1 } },
};
/** Mixtral's attention scaled down: 4 query heads per KV head, θ = 1e6, rotate-half layout. */
const mixtralTiny: StandardAttentionConfig = { kind: 'gqa', hiddenSize: 32, numHeads: 8, numKeyValueHeads: 2, headDim: 4, rope: { theta: 1e6, layout: 'half' } };

function attentionCase(
  name: string,
  description: string,
  attention: AttentionConfig,
  options: { seed: number; tokens: number; form?: 'naive' | 'absorbed'; prefillTokens?: number; paged?: { blockSize: number; numBlocks: number; blockTable: number[] }; large?: boolean },
): GoldenCase {
  const config: AttentionCaseConfig = {
    attention,
    form: options.form ?? 'naive',
    prefillTokens: options.prefillTokens ?? null,
    paged: options.paged === undefined ? null : { blockSize: options.paged.blockSize, numBlocks: options.paged.numBlocks },
  };
  return {
    name: `attention/${name}`,
    component: 'attention',
    description,
    config,
    seed: options.seed,
    large: options.large,
    make() {
      const inputs: Record<string, ReturnType<typeof randomNormal> | ReturnType<typeof intTensor>> = {
        x: randomNormal([options.tokens, attention.hiddenSize], { seed: options.seed, name: 'inputs.x' }),
      };
      if (options.paged !== undefined) inputs.block_table = intTensor(options.paged.blockTable, [options.paged.blockTable.length]);
      return { inputs, params: initAttentionParams(attention, options.seed) };
    },
  };
}

const withLayout = (layout: 'half' | 'hf-interleave'): MLAConfig => ({ ...v3Tiny, rope: { ...v3Tiny.rope, layout } });

export const attentionCases: GoldenCase[] = [
  attentionCase('mla-v3-tiny-naive', "MLA, DeepSeek-V3 shapes scaled down, naive form (k, v expanded per head), DeepSeek's interleaved RoPE, YaRN (HF formulas), one causal pass.", v3Tiny, { seed: 300, tokens: 6 }),
  attentionCase('mla-v3-tiny-absorbed', 'The same layer and input in the weight-absorbed form (W_UK folded into q, W_UV into the output).', v3Tiny, { seed: 300, tokens: 6, form: 'absorbed' }),
  attentionCase('mla-v3-tiny-half-layout', "The same layer with Hugging Face's rotate-half RoPE layout.", withLayout('half'), { seed: 300, tokens: 6 }),
  attentionCase('mla-v3-tiny-hf-interleave', 'The same layer with Hugging Face DeepseekV3 rope_interleave (de-interleave, then rotate halves): attends as the interleaved layout.', withLayout('hf-interleave'), { seed: 300, tokens: 6 }),
  attentionCase('mla-v3-tiny-yarn-deepseek', "The same layer with DeepSeek's own YaRN formulas (rounded correction range, softmax mscale from mscale).", { ...v3Tiny, rope: { ...v3Tiny.rope, scaling: { ...v3Tiny.rope!.scaling!, variant: 'deepseek' } } }, { seed: 300, tokens: 6 }),
  attentionCase('mla-v2-lite-tiny', 'MLA, DeepSeek-V2-Lite shapes scaled down: queries by one q_proj (q_lora_rank null), no YaRN.', v2LiteTiny, { seed: 301, tokens: 5 }),
  attentionCase('mla-v3-tiny-decode-naive', 'Prefill 3 tokens, then decode 4 one by one, caching only c_KV and k_rope per token; naive form.', v3Tiny, { seed: 302, tokens: 7, prefillTokens: 3 }),
  attentionCase('mla-v3-tiny-decode-absorbed', 'Prefill 3, decode 4 from the latent cache in the absorbed form (as FlashMLA decodes).', v3Tiny, { seed: 302, tokens: 7, prefillTokens: 3, form: 'absorbed' }),
  attentionCase('mla-v3-tiny-paged', 'Prefill 2, decode 5 through a paged latent cache: blocks of 2 rows, block table [4, 1, 3, 0] into a pool of 5 blocks.', v3Tiny, {
    seed: 303, tokens: 7, prefillTokens: 2, form: 'absorbed', paged: { blockSize: 2, numBlocks: 5, blockTable: [4, 1, 3, 0] },
  }),
  attentionCase('mha-tiny', 'Multi-head attention (4 heads, head dim 8), rotate-half RoPE, one causal pass.', { kind: 'mha', hiddenSize: 32, numHeads: 4, headDim: 8 }, { seed: 304, tokens: 6 }),
  attentionCase('gqa-mixtral-tiny', "Grouped-query attention, Mixtral's 4 query heads per KV head scaled down (8 heads, 2 KV heads), θ = 1e6.", mixtralTiny, { seed: 305, tokens: 6 }),
  attentionCase('gqa-mixtral-tiny-decode', 'The GQA layer: prefill 2, decode 4 through its key/value cache.', mixtralTiny, { seed: 305, tokens: 6, prefillTokens: 2 }),
  attentionCase('mqa-tiny', 'Multi-query attention: 4 query heads sharing one key/value head.', { kind: 'mqa', hiddenSize: 32, numHeads: 4, headDim: 8 }, { seed: 306, tokens: 6 }),
  attentionCase('mla-v3-head-dims', "MLA at DeepSeek-V3's real dims (H 7168, 128 heads, d_c 512, d_h 128, d_R 64, d_v 128, q_lora_rank 1536), absorbed form, prefill 3 + decode 1 (~750 MB).", v3Real, {
    seed: 307, tokens: 4, prefillTokens: 3, form: 'absorbed', large: true,
  }),
];
