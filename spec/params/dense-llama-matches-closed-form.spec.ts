// A dense Llama config counts exactly as the closed form of the classic estimate
//
//   N ≈ 12 · L · d² + embeddings      (Kaplan et al. 2020, arXiv:2001.08361, table 1)
//
// made exact for Llama (Touvron et al. 2023, arXiv:2302.13971): per layer, attention
// 2·d·(h·hd) + 2·d·(kv·hd) (q, o and k, v), a SwiGLU FFN 3·d·I, two RMSNorms 2·d; once, the final
// norm d and the embedding and LM head V·d each (once when tied). With kv = h, hd = d/h and I = 8d/3
// the per-layer matrices are exactly 4d² + 8d² = 12d².
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countParameters } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { llamaConfig } from './hf-config-arbitraries.js';

interface LlamaShape {
  d: number;
  h: number;
  kv: number;
  hd: number;
  I: number;
  L: number;
  V: number;
  tied: boolean;
  attentionBias: boolean;
}

/** The closed form, written independently of src/params. */
function llamaClosedForm(s: LlamaShape): number {
  const attention = 2 * s.d * (s.h * s.hd) + 2 * s.d * (s.kv * s.hd);
  const attentionBiases = s.attentionBias ? s.h * s.hd + 2 * s.kv * s.hd + s.d : 0;
  const ffn = 3 * s.d * s.I;
  const norms = 2 * s.d;
  const embeddings = (s.tied ? 1 : 2) * s.V * s.d;
  return s.L * (attention + attentionBiases + ffn + norms) + s.d + embeddings;
}

describe('a dense Llama config', () => {
  it('counts exactly as the closed form', () => {
    fc.assert(
      fc.property(llamaConfig, (generated) => {
        const c = generated.config as Record<string, number & boolean>;
        const shape: LlamaShape = {
          d: c.hidden_size,
          h: c.num_attention_heads,
          kv: c.num_key_value_heads,
          hd: c.hidden_size / c.num_attention_heads,
          I: c.intermediate_size,
          L: c.num_hidden_layers,
          V: c.vocab_size,
          tied: c.tie_word_embeddings,
          attentionBias: c.attention_bias,
        };
        const counts = countParameters(readHfModel(generated.config));
        expect(counts.total).toBe(llamaClosedForm(shape));
        expect(counts.active).toBe(counts.total); // dense: every weight is used
      }),
      { numRuns: 300 },
    );
  });

  it('has exactly 12·L·d² matrix weights per the classic estimate when kv = h and I = 8d/3', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 100 }),
        fc.boolean(),
        (heads, threes, L, V, tied) => {
          const d = 3 * heads * threes; // a multiple of 3 and of the head count
          const config = {
            model_type: 'llama',
            hidden_size: d,
            num_attention_heads: heads,
            num_hidden_layers: L,
            intermediate_size: (8 * d) / 3,
            vocab_size: V,
            tie_word_embeddings: tied,
          };
          const counts = countParameters(readHfModel(config));
          const embeddings = (tied ? 1 : 2) * V * d;
          const norms = (2 * L + 1) * d;
          expect(counts.total - embeddings - norms).toBe(12 * L * d * d);
        },
      ),
      { numRuns: 200 },
    );
  });
});
