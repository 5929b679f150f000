// The README's DeepSeek-V2/V3 KV-cache table is the output of renderKVCacheComparison (so its numbers
// come from kvCacheSize), and its MLA rows are the paper's (d_c + d_h^R)·l = 576·l.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deepSeekKVCacheComparison, renderKVCacheComparison } from '../../src/index.js';

describe('README KV-cache table', () => {
  it('is the rendered comparison', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(renderKVCacheComparison());
  });

  it("MLA rows: 576 values per token per layer (512 + 64), 4.5·d_h, 1/56.9 of MHA's 2·128·128", () => {
    const mla = deepSeekKVCacheComparison().filter((row) => row.attention === 'MLA');
    expect(mla.map((row) => [row.model, row.elementsPerTokenPerLayer, row.elementsPerToken])).toEqual([['DeepSeek-V2', 576, 576 * 60], ['DeepSeek-V3', 576, 576 * 61]]);
    for (const row of mla) expect(row.fractionOfMHA).toBe(576 / (2 * 128 * 128));
  });
});
