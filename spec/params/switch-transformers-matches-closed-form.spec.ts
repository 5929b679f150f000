// A Switch Transformers config (T5 encoder-decoder, Fedus et al. 2021, arXiv:2101.03961) counts
// exactly as its closed form, written from modeling_switch_transformers.py independently of
// src/params:
//   every attention block:   q, k, v [h·dkv, d], o [d, h·dkv]                  = 4·d·h·dkv
//   encoder layer:           self-attention, FFN, 2 T5 norms [d]
//   decoder layer:           self-attention, cross-attention, FFN, 3 T5 norms [d]
//   dense FFN:               wi [dff, d], wo [d, dff]                          = 2·d·dff
//   sparse FFN (top-1):      router [N, d] (+ bias [N]) and N experts of 2·d·dff
//   once:                    shared embedding V·d (+ LM head V·d when untied), 2 final norms,
//                            relative position bias [buckets, h] in each stack's first layer
// Layer i of a stack is sparse when step > 0 and (i % step == 1 or step == 1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countParameters } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { anyConfig, switchLayerIsSparse } from './hf-config-arbitraries.js';

describe('a Switch Transformers config', () => {
  it('counts exactly as the encoder-decoder closed form', () => {
    fc.assert(
      fc.property(
        anyConfig.filter((generated) => generated.family === 'switch_transformers'),
        (generated) => {
          const c = generated.config as Record<string, number & boolean>;
          const d = c.d_model;
          const attention = 4 * d * c.num_heads * c.d_kv;
          const denseFfn = 2 * d * c.d_ff;
          const sparseFfn = c.num_experts * (d + (c.router_bias ? 1 : 0)) + c.num_experts * 2 * d * c.d_ff;
          const activeSparseFfn = c.num_experts * (d + (c.router_bias ? 1 : 0)) + 2 * d * c.d_ff;
          let total = 0;
          let active = 0;
          const stacks = [
            { layers: c.num_layers, step: c.encoder_sparse_step, attentionBlocks: 1, norms: 2 },
            { layers: c.num_decoder_layers, step: c.decoder_sparse_step, attentionBlocks: 2, norms: 3 },
          ];
          for (const stack of stacks) {
            for (let i = 0; i < stack.layers; i++) {
              const sparse = switchLayerIsSparse(i, stack.step);
              const shared = stack.attentionBlocks * attention + stack.norms * d;
              total += shared + (sparse ? sparseFfn : denseFfn);
              active += shared + (sparse ? activeSparseFfn : denseFfn);
            }
          }
          const once = 2 * d + 2 * c.relative_attention_num_buckets * c.num_heads + (c.tie_word_embeddings ? 1 : 2) * c.vocab_size * d;
          const counts = countParameters(readHfModel(generated.config));
          expect(counts.total).toBe(total + once);
          expect(counts.active).toBe(active + once);
        },
      ),
      { numRuns: 300 },
    );
  });
});
