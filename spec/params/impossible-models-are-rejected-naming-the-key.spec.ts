// The calculators refuse models that cannot exist, naming the key, instead of printing impossible
// counts (active > total) or hanging; and they count layers in closed form, so a deep model costs no
// more than a shallow one.
import { describe, expect, it } from 'vitest';
import { countParameters, findPreset } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { errorOf } from '../helpers.js';

const mixtral = findPreset('mixtral-8x7b')!.config;
const deepseekV3 = findPreset('deepseek-v3')!.config;

describe('params', () => {
  it('refuses more experts per token than experts (9 of 8)', () => {
    const error = errorOf(() => readHfModel({ ...mixtral, num_experts_per_tok: 9 }));
    expect(error.argument).toBe('config.num_experts_per_tok');
    expect(error.expected).toContain('[1, 8]');
  });

  it('refuses more key/value heads than heads, or key/value heads that do not divide them', () => {
    expect(errorOf(() => readHfModel({ ...mixtral, num_key_value_heads: 64 })).argument).toBe('config.num_key_value_heads');
    expect(errorOf(() => readHfModel({ ...mixtral, num_key_value_heads: 5 })).argument).toBe('config.num_key_value_heads');
  });

  it('refuses sizes beyond int32 at once (num_hidden_layers 1e20), and counts beyond 2^53', () => {
    const started = performance.now();
    expect(errorOf(() => readHfModel({ ...mixtral, num_hidden_layers: 1e20 })).argument).toBe('config.num_hidden_layers');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(errorOf(() => countParameters(readHfModel({ ...mixtral, num_hidden_layers: 2 ** 31 - 1 }))).expected).toContain('2^53');
  });

  it('counts 100,000 layers in closed form: one more layer adds exactly one MoE layer', () => {
    const started = performance.now();
    const deep = countParameters(readHfModel({ ...deepseekV3, num_hidden_layers: 100_000 }));
    const deeper = countParameters(readHfModel({ ...deepseekV3, num_hidden_layers: 100_001 }));
    expect(performance.now() - started).toBeLessThan(1000);
    const moeLayer = deep.byLayerKind.find((kind) => kind.kind === 'moe')!;
    expect(moeLayer.layers).toBe(100_000 - 3);
    expect(deeper.total - deep.total).toBe(moeLayer.perLayer.total);
  });
});
