// Compute and memory follow their formulas, written here independently of src/params:
//   KV cache per token: MHA/GQA 2·layers·kvHeads·headDim values; MLA layers·(kvLoraRank + rope)
//   forward FLOPs per token: 2·(active matmul weights) + Σ_layers 2·heads·(qkDim + vDim)·context
//   weight bytes: total · {4, 2, 1, ½}
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countParameters, findPreset, modelCosts } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';

describe('KV cache', () => {
  it('is 2·layers·kvHeads·headDim for GQA (Mixtral-8x7B: 128 KiB in bf16)', () => {
    const model = readHfModel(findPreset('mixtral-8x7b')!.config);
    const costs = modelCosts(model, countParameters(model), 4096);
    expect(costs.kvCache.elementsPerToken).toBe(2 * 32 * 8 * 128);
    expect(costs.kvCache.bytesPerToken.bf16).toBe(131072);
  });

  it('is layers·(kvLoraRank + qkRopeHeadDim) for MLA (DeepSeek-V3)', () => {
    const model = readHfModel(findPreset('deepseek-v3')!.config);
    const costs = modelCosts(model, countParameters(model), 4096);
    expect(costs.kvCache.elementsPerToken).toBe(61 * (512 + 64));
    expect(costs.kvCache.bytesPerToken.fp8).toBe(61 * 576);
  });

  it('covers the decoder self-attention only for an encoder-decoder', () => {
    const config = { model_type: 'switch_transformers', d_model: 8, d_ff: 16, d_kv: 2, num_heads: 4, num_layers: 3, num_decoder_layers: 5, encoder_sparse_step: 2, decoder_sparse_step: 2, num_experts: 4, vocab_size: 10 };
    const model = readHfModel(config);
    expect(modelCosts(model, countParameters(model), 1).kvCache.elementsPerToken).toBe(2 * 5 * 4 * 2);
  });
});

describe('forward FLOPs per token', () => {
  it('are 2·active matmul weights plus attention scores and values over the context', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 20 }), (context) => {
        const model = readHfModel(findPreset('mixtral-8x7b')!.config);
        const flops = modelCosts(model, countParameters(model), context).flopsPerToken;
        // Mixtral-8x7B, per layer: q, o 4096², k, v 4096·1024, router 8·4096, 2 experts of 3·4096·14336; LM head 32000·4096.
        const perLayer = 2 * 4096 * 4096 + 2 * 4096 * 1024 + 8 * 4096 + 2 * 3 * 4096 * 14336;
        expect(flops.matmul).toBe(2 * (32 * perLayer + 32000 * 4096));
        expect(flops.attention).toBe(32 * 2 * 32 * (128 + 128) * context);
        expect(flops.total).toBe(flops.matmul + flops.attention);
      }),
      { numRuns: 20 },
    );
  });

  it('use qk = nope + rope and v head dims for MLA, and leave the MTP module out', () => {
    const model = readHfModel(findPreset('deepseek-v3')!.config);
    const withoutMtp = modelCosts(model, countParameters(model), 1000).flopsPerToken;
    const withMtp = modelCosts(model, countParameters(model, { mtp: 'checkpoint' }), 1000).flopsPerToken;
    expect(withoutMtp.attention).toBe(61 * 2 * 128 * (128 + 64 + 128) * 1000);
    expect(withMtp.total).toBe(withoutMtp.total);
  });

  it('count the LM head matmul even when it is tied and not counted as active', () => {
    const config = { ...findPreset('llama-2-70b')!.config, tie_word_embeddings: true };
    const model = readHfModel(config);
    const untied = modelCosts(model, countParameters(model, { tiedEmbeddings: false }), 0).flopsPerToken.matmul;
    const tiedNone = modelCosts(model, countParameters(model, { activeEmbeddings: 'none' }), 0).flopsPerToken.matmul;
    expect(tiedNone).toBe(untied);
  });
});

describe('weight memory', () => {
  it('is total parameters times the bytes of each type', () => {
    const model = readHfModel(findPreset('olmoe-1b-7b')!.config);
    const counts = countParameters(model);
    const bytes = modelCosts(model, counts, 0).weightBytes;
    expect(bytes).toEqual({ fp32: 4 * counts.total, bf16: 2 * counts.total, fp8: counts.total, int4: Math.ceil(counts.total / 2) });
  });
});
