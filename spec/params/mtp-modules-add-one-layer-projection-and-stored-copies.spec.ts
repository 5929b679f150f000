// DeepSeek-V3's multi-token-prediction module (arXiv:2412.19437, section 2.2; README_WEIGHTS.md):
// counted with --mtp include it adds one more transformer layer, identical to the main model's layer
// of its index, plus enorm [H], hnorm [H], eh_proj [H, 2H] and the shared head's norm [H]; with
// --mtp checkpoint also the copies of the embedding and of the output head, [V, H] each, that the
// Hugging Face checkpoint stores. It is never part of the forward FLOPs of the main model.
import { describe, expect, it } from 'vitest';
import { countParameters, findPreset } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';

describe('MTP modules', () => {
  const config = findPreset('deepseek-v3')!.config;
  const model = readHfModel(config);
  const H = 7168;
  const V = 129280;
  const excluded = countParameters(model);
  const included = countParameters(model, { mtp: 'include' });
  const checkpoint = countParameters(model, { mtp: 'checkpoint' });
  const moeLayer = excluded.byLayerKind.find((layer) => layer.kind === 'moe')!;

  it('add one MoE layer, two norms, eh_proj and a head norm per module', () => {
    expect(included.total - excluded.total).toBe(moeLayer.perLayer.total + 3 * H + 2 * H * H);
    expect(included.byComponent.mtp.total).toBe(included.total - excluded.total);
    expect(included.active - excluded.active).toBe(moeLayer.perLayer.active + 3 * H + 2 * H * H);
  });

  it('add the stored embedding and head copies in the checkpoint', () => {
    expect(checkpoint.total - included.total).toBe(2 * V * H);
  });

  it('scale with num_nextn_predict_layers and leave the FLOP basis alone', () => {
    const two = countParameters(readHfModel({ ...config, num_nextn_predict_layers: 2 }), { mtp: 'checkpoint' });
    expect(two.total - excluded.total).toBe(2 * (checkpoint.total - excluded.total));
    expect(checkpoint.activeMatmulParams).toBe(excluded.activeMatmulParams);
  });
});
