// With no rope part (qk_rope_head_dim 0) and a full-rank latent built from an MHA (kv_lora_rank = H,
// W_DKV = I, kv_a_layernorm weight 1, eps 0, kv_b_proj = the MHA's key and value rows of each head,
// q_proj and o_proj the MHA's), MLA is that MHA (without RoPE) in both forms: the paper's low-rank
// joint compression (DeepSeek-V2 section 2.1.2) with nothing compressed away.
//
// The MLA latent is RMSNorm(x) = x / rms(x), so the inputs are rows of RMS 1 (normalised in float64,
// rounded to float32): then c = x·(1 + δ) with |δ| ≤ 2^-22 (the float32 rounding of the row's
// RMS and of the product), a relative perturbation of every key and value of a few float32 units,
// within the tolerance model of the chain (as in absorbed-form-equals-naive-form.spec.ts).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { attention, initAttentionParams, randomNormal, tensor, type MLAConfig, type StandardAttentionConfig, type StateDict } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { attentionReductionLength, expectWithinModel } from './arbitraries.js';

const shapes = fc.record({
  hiddenSize: fc.integer({ min: 1, max: 10 }),
  numHeads: fc.integer({ min: 1, max: 4 }),
  headDim: fc.constantFrom(2, 4, 6),
  tokens: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  form: fc.constantFrom('naive' as const, 'absorbed' as const),
});

describe.each(SPEC_BACKENDS)('MLA without RoPE equals its factorised MHA ($name backend)', ({ kernels }) => {
  it('in both forms', () => {
    fc.assert(
      fc.property(shapes, (s) => {
        const { hiddenSize: H, numHeads: n, headDim: d } = s;
        const mha: StandardAttentionConfig = { kind: 'mha', hiddenSize: H, numHeads: n, headDim: d, rope: null };
        const mla: MLAConfig = { kind: 'mla', hiddenSize: H, numHeads: n, qLoraRank: null, kvLoraRank: H, qkNopeHeadDim: d, qkRopeHeadDim: 0, vHeadDim: d, rmsNormEps: 0 };
        const w = initAttentionParams(mha, s.seed);
        const kvB = new Float32Array(n * 2 * d * H); // head h: its d key rows, then its d value rows
        for (let h = 0; h < n; h++) {
          kvB.set(w['k_proj.weight'].data.subarray(h * d * H, (h + 1) * d * H), h * 2 * d * H);
          kvB.set(w['v_proj.weight'].data.subarray(h * d * H, (h + 1) * d * H), (h * 2 + 1) * d * H);
        }
        const mlaParams: StateDict = {
          'q_proj.weight': w['q_proj.weight'],
          'kv_a_proj_with_mqa.weight': tensor(Float32Array.from({ length: H * H }, (_, i) => (Math.floor(i / H) === i % H ? 1 : 0)), [H, H]),
          'kv_a_layernorm.weight': tensor(new Float32Array(H).fill(1), [H]),
          'kv_b_proj.weight': tensor(kvB, [n * 2 * d, H]),
          'o_proj.weight': w['o_proj.weight'],
        };
        const raw = randomNormal([s.tokens, H], { seed: s.seed, name: 'inputs.x' });
        const x = tensor(new Float32Array(raw.size), raw.shape);
        for (let t = 0; t < s.tokens; t++) {
          const row = raw.data.subarray(t * H, (t + 1) * H);
          const rmsOfRow = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0) / H);
          for (let i = 0; i < H; i++) x.data[t * H + i] = row[i] / rmsOfRow;
        }
        const expected = attention(x, w, mha, { backend: kernels });
        const actual = attention(x, mlaParams, mla, { backend: kernels, form: s.form });
        expectWithinModel(actual.output.data, expected.output.data, attentionReductionLength(mla, s.tokens));
        expectWithinModel(actual.attentionWeights.data, expected.attentionWeights.data, attentionReductionLength(mla, s.tokens));
      }),
      { numRuns: 60 },
    );
  });
});
