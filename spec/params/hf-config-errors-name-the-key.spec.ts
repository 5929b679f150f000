// A config the reader cannot use is a MoEOracleError that names the offending key: an unknown or
// missing model_type, a missing key the model needs, a value of the wrong type.
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { errorOf } from '../helpers.js';

const mixtral = findPreset('mixtral-8x7b')!.config;

describe('readHfModel', () => {
  it('rejects an unknown model_type, listing the supported ones', () => {
    const error = errorOf(() => readHfModel({ ...mixtral, model_type: 'gpt2' }));
    expect(error.argument).toBe('config.model_type');
    expect(error.actual).toBe('"gpt2"');
    expect(error.expected).toContain('"mixtral"');
    expect(error.expected).toContain('"deepseek_v3"');
  });

  it('rejects a missing model_type and non-object input', () => {
    const { model_type: _, ...withoutType } = mixtral;
    expect(errorOf(() => readHfModel(withoutType)).message).toContain('config.model_type');
    expect(errorOf(() => readHfModel([1, 2])).argument).toBe('config');
    expect(errorOf(() => readHfModel({ model_type: 'toString' })).argument).toBe('config.model_type');
  });

  it('names a missing key of each family', () => {
    const cases: Array<[string, string, string]> = [
      ['mixtral-8x7b', 'num_local_experts', 'config.num_local_experts'],
      ['deepseek-v3', 'kv_lora_rank', 'config.kv_lora_rank'],
      ['deepseek-v3', 'moe_intermediate_size', 'config.moe_intermediate_size'],
      ['qwen1.5-moe-a2.7b', 'num_experts_per_tok', 'config.num_experts_per_tok'],
      ['qwen3-30b-a3b', 'hidden_size', 'config.hidden_size'],
      ['olmoe-1b-7b', 'num_experts', 'config.num_experts'],
      ['llama-2-70b', 'intermediate_size', 'config.intermediate_size'],
    ];
    for (const [preset, key, argument] of cases) {
      const { [key]: _, ...config } = findPreset(preset)!.config;
      const error = errorOf(() => readHfModel(config));
      expect(error.argument).toBe(argument);
      expect(error.actual).toContain('missing');
      expect(error.message).toContain(key);
    }
  });

  it('names keys inside the nested DBRX configs', () => {
    const dbrx = findPreset('dbrx')!.config;
    const error = errorOf(() => readHfModel({ ...dbrx, ffn_config: { moe_num_experts: 16, moe_top_k: 4 } }));
    expect(error.argument).toBe('config.ffn_config.ffn_hidden_size');
    expect(errorOf(() => readHfModel({ ...dbrx, attn_config: 3 })).argument).toBe('config.attn_config');
  });

  it('names the file or preset it reads, and rejects malformed values', () => {
    const error = errorOf(() => readHfModel({ ...mixtral, num_hidden_layers: 2.5 }, 'my/config.json'));
    expect(error.argument).toBe('my/config.json.num_hidden_layers');
    expect(error.actual).toBe('2.5');
    expect(errorOf(() => readHfModel({ ...mixtral, tie_word_embeddings: 'yes' })).argument).toBe('config.tie_word_embeddings');
    expect(errorOf(() => readHfModel({ ...mixtral, hidden_size: 4097 })).argument).toBe('config.hidden_size');
  });

  it('reads a dense key only when some layer is dense', () => {
    const { intermediate_size: _, ...qwen3 } = findPreset('qwen3-30b-a3b')!.config;
    expect(() => readHfModel(qwen3)).not.toThrow();
    expect(errorOf(() => readHfModel({ ...qwen3, mlp_only_layers: [0] })).argument).toBe('config.intermediate_size');
  });
});
