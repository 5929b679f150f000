// Grouped-query attention is multi-head attention whose key/value heads are repeated for each group of
// query heads (Hugging Face `repeat_kv`: query head h reads key/value head ⌊h / (n / n_kv)⌋): so GQA with
// n_kv = n is MHA, and GQA with n_kv = 1 is MQA. Bit for bit: the repeated keys and values are the same
// float32 values, and each score and weighted sum is the same loop.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, initAttentionParams, randomNormal, tensor, type StandardAttentionConfig, type StateDict } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';

/** The MHA weights of a GQA layer: each key/value head's rows repeated `group` times (and its bias). */
function repeatKeyValueHeads(params: StateDict, numKeyValueHeads: number, group: number, headDim: number): StateDict {
  const repeated: StateDict = { ...params };
  for (const name of Object.keys(params).filter((n) => n.startsWith('k_proj') || n.startsWith('v_proj'))) {
    const t = params[name];
    const rowWidth = t.shape.length === 2 ? t.shape[1] : 1;
    const block = headDim * rowWidth;
    const out = new Float32Array(t.size * group);
    for (let g = 0; g < numKeyValueHeads; g++) {
      for (let r = 0; r < group; r++) out.set(t.data.subarray(g * block, (g + 1) * block), (g * group + r) * block);
    }
    repeated[name] = tensor(out, t.shape.length === 2 ? [t.shape[0] * group, rowWidth] : [t.shape[0] * group]);
  }
  return repeated;
}

const shapes = fc.record({
  hiddenSize: fc.integer({ min: 1, max: 10 }),
  numKeyValueHeads: fc.integer({ min: 1, max: 4 }),
  group: fc.integer({ min: 1, max: 4 }),
  headDim: fc.constantFrom(2, 4),
  tokens: fc.integer({ min: 1, max: 6 }),
  attentionBias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
});

describe.each(SPEC_BACKENDS)('GQA equals MHA with repeated key/value heads ($name backend)', ({ kernels }) => {
  it('for any number of groups (n_kv = n is MHA, n_kv = 1 is MQA)', () => {
    fc.assert(
      fc.property(shapes, (s) => {
        const numHeads = s.numKeyValueHeads * s.group;
        const kind = s.group === 1 ? 'mha' : s.numKeyValueHeads === 1 ? 'mqa' : 'gqa';
        const gqa: StandardAttentionConfig = { kind, hiddenSize: s.hiddenSize, numHeads, numKeyValueHeads: s.numKeyValueHeads, headDim: s.headDim, attentionBias: s.attentionBias };
        const mha: StandardAttentionConfig = { kind: 'mha', hiddenSize: s.hiddenSize, numHeads, headDim: s.headDim, attentionBias: s.attentionBias };
        const params = initAttentionParams(gqa, s.seed);
        const x = randomNormal([s.tokens, s.hiddenSize], { seed: s.seed, name: 'inputs.x' });
        const a = attention(x, params, gqa, { backend: kernels });
        const b = attention(x, repeatKeyValueHeads(params, s.numKeyValueHeads, s.group, s.headDim), mha, { backend: kernels });
        expect(Array.from(a.output.data)).toEqual(Array.from(b.output.data));
        expect(Array.from(a.attentionWeights.data)).toEqual(Array.from(b.attentionWeights.data));
      }),
      { numRuns: 60 },
    );
  });

});
