// The reference never hands out a NaN or ±Infinity that it was not given: when float32 overflows (or
// 0/0 arises) from finite inputs, the call throws MoEOracleError naming the component, the tensor and
// the first index, instead of returning the non-finite value (issue: x of 1e20 gave an all-NaN y).
import { describe, expect, it } from 'vitest';
import { initMoEParams, tensor, type MoEConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { errorOf, randomInput } from '../helpers.js';

const config: MoEConfig = { hiddenSize: 8, numExperts: 4, expertIntermediateSize: 16, router: { topK: 2 } };

describe.each(SPEC_BACKENDS)('overflow from finite input ($name backend)', ({ kernels }) => {
  const { moeForward, rmsNorm, linear } = entryPointsOn(kernels);

  it('x of 1e20 (finite in float32) overflows the experts: the layer names moe, y and the first index', () => {
    const params = initMoEParams(config, 1);
    const x = tensor(new Float32Array(3 * 8).fill(1e20), [3, 8]);
    const error = errorOf(() => moeForward(x, params, config));
    expect(error.message).toMatch(/^moe-oracle: moe: y: expected finite values \(every input was finite.*\), got (NaN|-?Infinity) at index \[0, 0\]$/);
  });

  it('an expert weight of −1.28e38 (a flipped exponent byte) overflows: named, not returned', () => {
    const params = initMoEParams(config, 2);
    const x = randomInput(5, 8, 2);
    const chosen = moeForward(x, params, config).router.topkIndices.data[0];
    const name = `experts.${chosen}.w1.weight`;
    const corrupted = { ...params, [name]: tensor(params[name].data.slice(), params[name].shape) };
    corrupted[name].data.fill(-1.28e38);
    expect(errorOf(() => moeForward(x, corrupted, config)).message).toMatch(/^moe-oracle: moe: y: expected finite values/);
  });

  it('rmsNorm of a zero row with eps 0 (0/0) is an error naming rmsnorm and the index', () => {
    const error = errorOf(() => rmsNorm(tensor(new Float32Array(6), [2, 3]), tensor([1, 1, 1], [3]), 0));
    expect(error.message).toMatch(/^moe-oracle: rmsnorm: y: expected finite values .*, got NaN at index \[0, 0\]$/);
  });

  it('a linear whose dot product exceeds the float32 range names linear and the index', () => {
    const error = errorOf(() => linear(tensor([3e38, 3e38], [1, 2]), tensor([1, 1, 0, 0], [2, 2])));
    expect(error.message).toMatch(/^moe-oracle: linear: y: expected finite values .*, got Infinity at index \[0, 0\]$/);
  });

  it('a routed scaling factor beyond the float32 range is refused at the config', () => {
    const params = initMoEParams(config, 3);
    const error = errorOf(() => moeForward(randomInput(2, 8, 3), params, { ...config, router: { topK: 2, routedScalingFactor: 1e39 } }));
    expect(error.argument).toBe('config.router.routedScalingFactor');
  });
});
