/**
 * The DeepSeek-V2 paper's KV-cache comparison (arXiv:2405.04434, Table 1) with the numbers of
 * DeepSeek-V2 and DeepSeek-V3 filled in from their Hugging Face configs (src/params/presets.ts):
 * MLA against an MHA, a GQA (8 KV groups, as Mixtral and Llama-2-70B) and an MQA of the same heads
 * and head dim d_h = qk_nope_head_dim (the paper's convention). Every figure comes from
 * `kvCacheSize` (kv-cache-size.ts).
 */
import { findPreset } from '../params/presets.js';
import { checkOptions } from '../tensor/errors.js';
import type { Dtype } from '../params/dtype.js';
import { kvCacheSize, type KVCacheShape } from './kv-cache-size.js';

/** One row of the comparison. */
export interface KVCacheComparisonRow {
  model: string;
  attention: string;
  formula: string;
  elementsPerTokenPerLayer: number;
  elementsPerToken: number;
  bytesPerToken: number;
  bytesAtSequenceLength: number;
  /** This cache over the MHA cache of the same heads. */
  fractionOfMHA: number;
}

/** The comparison for DeepSeek-V2 and DeepSeek-V3 at `sequenceLength` tokens in `dtype`. */
export function deepSeekKVCacheComparison(options: { sequenceLength?: number; dtype?: Dtype } = {}): KVCacheComparisonRow[] {
  checkOptions('options', options);
  const sequenceLength = options.sequenceLength ?? 128 * 1024;
  const dtype = options.dtype ?? 'bf16';
  const rows: KVCacheComparisonRow[] = [];
  for (const name of ['deepseek-v2', 'deepseek-v3']) {
    const preset = findPreset(name)!;
    const c = preset.config as Record<string, number>;
    const heads = c.num_attention_heads;
    const headDim = c.qk_nope_head_dim;
    const layers = c.num_hidden_layers;
    const shapes: [string, string, KVCacheShape][] = [
      ['MHA', '2·n_h·d_h·l', { kind: 'mha', numKeyValueHeads: heads, headDim }],
      ['GQA (n_g = 8)', '2·n_g·d_h·l', { kind: 'gqa', numKeyValueHeads: 8, headDim }],
      ['MQA', '2·d_h·l', { kind: 'mqa', numKeyValueHeads: 1, headDim }],
      ['MLA', '(d_c + d_h^R)·l', { kind: 'mla', kvLoraRank: c.kv_lora_rank, qkRopeHeadDim: c.qk_rope_head_dim }],
    ];
    const mha = kvCacheSize(shapes[0][2], { layers, sequenceLength, dtype });
    for (const [attention, formula, shape] of shapes) {
      const size = kvCacheSize(shape, { layers, sequenceLength, dtype });
      rows.push({
        model: preset.title, attention, formula,
        elementsPerTokenPerLayer: size.elementsPerTokenPerLayer, elementsPerToken: size.elementsPerToken,
        bytesPerToken: size.bytesPerToken, bytesAtSequenceLength: size.bytes, fractionOfMHA: size.elements / mha.elements,
      });
    }
  }
  return rows;
}

const binary = (bytes: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(2)} ${units[unit]}`;
};

/** The comparison as a Markdown table (the README's). */
export function renderKVCacheComparison(options: { sequenceLength?: number; dtype?: Dtype } = {}): string {
  checkOptions('options', options);
  const sequenceLength = options.sequenceLength ?? 128 * 1024;
  const dtype = options.dtype ?? 'bf16';
  const lines = [
    `| model | cache | elements per token | per layer | per token, all layers | ${dtype} per token | ${dtype} at ${sequenceLength} tokens | of MHA | MHA ÷ this |`,
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of deepSeekKVCacheComparison({ sequenceLength, dtype })) {
    lines.push(
      `| ${row.model} | ${row.attention} | ${row.formula} | ${row.elementsPerTokenPerLayer} | ${row.elementsPerToken} | ${binary(row.bytesPerToken)} | ` +
        `${binary(row.bytesAtSequenceLength)} | ${(row.fractionOfMHA * 100).toFixed(2)} % | ${(1 / row.fractionOfMHA).toFixed(1)}× |`,
    );
  }
  return lines.join('\n') + '\n';
}
