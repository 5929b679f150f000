// gpt-oss and Llama 4 models count as their modelling files allocate them, written out here in closed
// form (not taken from src/): gpt-oss's attention has biases and one sink logit per head; every layer is
// MoE with biased experts and a biased router. Llama 4's text model: MoE every interleave_moe_layer_step
// layers, each MoE layer one shared expert of intermediate_size, dense layers an MLP of
// intermediate_size_mlp, no attention biases, weightless q/k L2 norms.
import { describe, expect, it } from 'vitest';
import { countParameters } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { GPT_OSS_20B, LLAMA_4_SCOUT } from '../hf/real-configs.js';

describe('closed-form counts', () => {
  it('gpt-oss-20b: attention with biases and sinks, 32 biased experts, biased router, untied embeddings', () => {
    const [H, L, V, heads, kv, d, I, N, k] = [2880, 24, 201088, 64, 8, 64, 2880, 32, 4];
    const attention = (H * heads * d + heads * d) + 2 * (H * kv * d + kv * d) + (heads * d * H + H) + heads; // + sinks
    const expert = H * 2 * I + 2 * I + I * H + H;
    const router = N * H + N;
    const perLayerTotal = attention + router + N * expert + 2 * H;
    const perLayerActive = attention + router + k * expert + 2 * H;
    const counts = (options = {}) => countParameters(readHfModel(GPT_OSS_20B), options);
    expect(counts().total).toBe(L * perLayerTotal + 2 * V * H + H);
    expect(counts({ activeEmbeddings: 'lm-head' }).active).toBe(L * perLayerActive + V * H + H);
  });

  it('Llama-4-Scout text model: 48 MoE layers of 16 experts + 1 shared expert; with interleave step 2, half the layers are dense MLPs of 16384', () => {
    const [H, L, V, heads, kv, d, I, Imlp, N] = [5120, 48, 202048, 40, 8, 128, 8192, 16384, 16];
    const attention = 2 * H * heads * d + 2 * H * kv * d;
    const swiglu = (size: number) => 3 * H * size;
    const moeTotal = attention + N * H + N * swiglu(I) + swiglu(I) + 2 * H;
    const moeActive = attention + N * H + 2 * swiglu(I) + 2 * H;
    const dense = attention + swiglu(Imlp) + 2 * H;
    const scout = countParameters(readHfModel(LLAMA_4_SCOUT));
    expect(scout.total).toBe(L * moeTotal + 2 * V * H + H);
    expect(scout.active).toBe(L * moeActive + 2 * V * H + H);
    const interleaved = countParameters(readHfModel({ ...LLAMA_4_SCOUT, text_config: { ...LLAMA_4_SCOUT.text_config, interleave_moe_layer_step: 2 } }));
    expect(interleaved.total).toBe((L / 2) * (moeTotal + dense) + 2 * V * H + H);
    const listed = countParameters(readHfModel({ ...LLAMA_4_SCOUT.text_config, moe_layers: [1, 3, 5] }));
    expect(listed.total).toBe(3 * moeTotal + (L - 3) * dense + 2 * V * H + H);
  });
});
