// The KV-cache arithmetic (kv-cache-size.ts) is the size of the caches the attention code keeps: after
// any prefill and decode steps a contiguous cache holds kvCacheElementsPerTokenPerLayer values per
// token (its parts c_KV + k_rope, or keys + values), a paged one the same per slot of its pool; and the
// parameter calculator's KV figure for a model is that arithmetic summed over its decoder layers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attention, cacheContents, countParameters, createAttentionCache, createPagedAttentionCache, findPreset, kvCacheElementsPerTokenPerLayer,
  kvCacheShapeOf, kvCacheSize, modelCosts, readHfModel,
} from '../../src/index.js';
import { anyConfig, attentionCase, materialise, rowsOf } from './arbitraries.js';

describe('calculator cache sizes equal the caches the code keeps', () => {
  it('per token per layer, for contiguous and paged caches after prefill and decode', () => {
    fc.assert(
      fc.property(attentionCase(anyConfig), fc.integer({ min: 1, max: 3 }), (c, blockSize) => {
        const { params, x } = materialise(c);
        const perToken = kvCacheElementsPerTokenPerLayer(kvCacheShapeOf(c.config));
        const contiguous = createAttentionCache(c.config, { capacity: c.tokens });
        const blocks = Math.ceil(c.tokens / blockSize);
        const paged = createPagedAttentionCache(c.config, { blockSize, numBlocks: blocks, blockTable: Array.from({ length: blocks }, (_, b) => blocks - 1 - b) });
        attention(rowsOf(x, 0, 1), params, c.config, { cache: contiguous });
        attention(rowsOf(x, 0, 1), params, c.config, { cache: paged });
        if (c.tokens > 1) {
          attention(rowsOf(x, 1, c.tokens), params, c.config, { cache: contiguous });
          attention(rowsOf(x, 1, c.tokens), params, c.config, { cache: paged });
        }
        expect(contiguous.rows.length).toBe(kvCacheSize(kvCacheShapeOf(c.config), { layers: 1, sequenceLength: c.tokens, dtype: 'fp32' }).elements);
        expect(paged.pool.length).toBe(perToken * blocks * blockSize);
        const stored = Object.values(cacheContents(contiguous)).reduce((sum, t) => sum + t.size, 0);
        expect(stored).toBe(perToken * c.tokens);
        expect(kvCacheSize(kvCacheShapeOf(c.config), { layers: 1, sequenceLength: c.tokens, dtype: 'fp32' }).bytes).toBe(contiguous.rows.byteLength);
      }),
      { numRuns: 40 },
    );
  });

  it.each(['deepseek-v2', 'deepseek-v2-lite', 'deepseek-v3', 'mixtral-8x7b'])('the params calculator of %s uses the same arithmetic', (name) => {
    const preset = findPreset(name)!;
    const model = readHfModel(preset.config);
    const counts = countParameters(model);
    const costs = modelCosts(model, counts, 4096);
    const cfg = preset.config as Record<string, number>;
    const shape = 'kv_lora_rank' in cfg
      ? { kind: 'mla' as const, kvLoraRank: cfg.kv_lora_rank, qkRopeHeadDim: cfg.qk_rope_head_dim }
      : { kind: 'gqa' as const, numKeyValueHeads: cfg.num_key_value_heads, headDim: cfg.hidden_size / cfg.num_attention_heads };
    const size = kvCacheSize(shape, { layers: cfg.num_hidden_layers, sequenceLength: 1, dtype: 'bf16' });
    expect(costs.kvCache.elementsPerToken).toBe(size.elementsPerToken);
    expect(costs.kvCache.bytesPerToken.bf16).toBe(size.bytesPerToken);
  });
});
