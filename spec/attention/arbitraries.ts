// Shared arbitraries of the attention specs: small MLA and MHA / GQA / MQA configs with every RoPE
// layout, with and without YaRN, with and without a query latent and biases, plus a token count and a seed.
import fc from 'fast-check';
import { expect } from 'vitest';
import { defaultTolerance, initAttentionParams, tensor, randomNormal, ROPE_LAYOUTS, type AttentionConfig, type MLAConfig, type StandardAttentionConfig, type Tensor } from '../../src/index.js';

const yarn = fc.option(
  fc.record({
    type: fc.constant('yarn' as const),
    factor: fc.double({ min: 1, max: 40, noNaN: true }),
    originalMaxPositionEmbeddings: fc.integer({ min: 4, max: 256 }),
    mscale: fc.constantFrom(0, 0.707, 1),
    mscaleAllDim: fc.constantFrom(0, 0.707, 1),
    variant: fc.constantFrom('hf' as const, 'deepseek' as const),
  }),
  { nil: null },
);

const rope = fc.record({ theta: fc.constantFrom(10000, 1e6, 50), layout: fc.constantFrom(...ROPE_LAYOUTS), scaling: yarn });

export const mlaConfig: fc.Arbitrary<MLAConfig> = fc
  .record({
    kind: fc.constant('mla' as const),
    hiddenSize: fc.integer({ min: 1, max: 12 }),
    numHeads: fc.integer({ min: 1, max: 4 }),
    qLoraRank: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
    kvLoraRank: fc.integer({ min: 1, max: 8 }),
    qkNopeHeadDim: fc.integer({ min: 0, max: 6 }),
    qkRopeHeadDim: fc.constantFrom(0, 2, 4, 6),
    vHeadDim: fc.integer({ min: 1, max: 6 }),
    rope,
    attentionBias: fc.boolean(),
  })
  .filter((c) => c.qkNopeHeadDim + c.qkRopeHeadDim > 0);

export const standardConfig: fc.Arbitrary<StandardAttentionConfig> = fc
  .record({ hiddenSize: fc.integer({ min: 1, max: 12 }), numKeyValueHeads: fc.integer({ min: 1, max: 3 }), group: fc.integer({ min: 1, max: 3 }), headDim: fc.constantFrom(2, 4, 6), rope, attentionBias: fc.boolean() })
  .map(({ numKeyValueHeads, group, ...rest }) => {
    const numHeads = numKeyValueHeads * group;
    const kind = numKeyValueHeads === numHeads ? 'mha' : numKeyValueHeads === 1 ? 'mqa' : 'gqa';
    return { kind, numHeads, numKeyValueHeads, ...rest } as StandardAttentionConfig;
  });

export const anyConfig: fc.Arbitrary<AttentionConfig> = fc.oneof(mlaConfig, standardConfig);

/** A config, its parameters' seed and a token count. */
export const attentionCase = <C extends AttentionConfig>(configs: fc.Arbitrary<C>, maxTokens = 7) =>
  fc.record({ config: configs, tokens: fc.integer({ min: 1, max: maxTokens }), seed: fc.integer({ min: 0, max: 0xffffffff }) });

/** Parameters and input x [T, H] of a case. */
export function materialise(c: { config: AttentionConfig; tokens: number; seed: number }): { params: ReturnType<typeof initAttentionParams>; x: Tensor } {
  return { params: initAttentionParams(c.config, c.seed), x: randomNormal([c.tokens, c.config.hiddenSize], { seed: c.seed, name: 'inputs.x' }) };
}

/** Rows [from, to) of x [T, H]. */
export function rowsOf(x: Tensor, from: number, to: number): Tensor {
  const H = x.shape[1];
  return tensor(x.data.slice(from * H, to * H), [to - from, H]);
}

export { attentionReductionLength } from '../../src/golden/attention-component.js';

/** RMS of a tensor's values. */
export function rms(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum / Math.max(1, values.length));
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| with the fp32 tolerance of the project's
 * tolerance model for reduction length K (magnitude: the RMS of `expected`). Returns the largest
 * fraction of the allowance used.
 */
export function expectWithinModel(actual: ArrayLike<number>, expected: ArrayLike<number>, reductionLength: number): number {
  expect(actual.length).toBe(expected.length);
  const { atol, rtol } = defaultTolerance({ dtype: 'fp32', reductionLength, magnitude: rms(expected) });
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const allowed = atol + rtol * Math.abs(expected[i]);
    const used = Math.abs(actual[i] - expected[i]) / allowed;
    if (!(used <= 1)) throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i])} > ${allowed}, K ${reductionLength})`);
    worst = Math.max(worst, used);
  }
  return worst;
}
