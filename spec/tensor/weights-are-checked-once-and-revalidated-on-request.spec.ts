// Expert weights are checked for NaN/Infinity once per tensor, not on every call. A NaN written in
// place into an already-checked weight is reported naming the weight after `revalidateWeights`, and
// even without it no NaN reaches the caller: the layer's output check fires.
import { describe, expect, it } from 'vitest';
import { initMoEParams, moeForward, randomNormal, revalidateWeights, type MoEConfig } from '../../src/index.js';

describe('weight validation', () => {
  const config: MoEConfig = { hiddenSize: 4, numExperts: 2, expertIntermediateSize: 3, router: { topK: 2 } };
  const x = randomNormal([3, 4], { seed: 1, name: 'inputs.x' });

  it('rejects a weight made NaN in place once the caller revalidates it, naming the weight', () => {
    const params = initMoEParams(config, 0);
    moeForward(x, params, config); // both experts run (k = N) and their weights are now checked
    const w1 = params['experts.1.w1.weight'];
    w1.data[5] = NaN;
    revalidateWeights(w1);
    expect(() => moeForward(x, params, config)).toThrow(/params\["experts\.1\.w1\.weight"\]: expected finite values, got NaN at index \[1, 1\]/);
  });

  it('still refuses to return NaN when a checked weight is mutated without revalidation', () => {
    const params = initMoEParams(config, 0);
    moeForward(x, params, config);
    params['experts.0.w2.weight'].data[0] = NaN;
    expect(() => moeForward(x, params, config)).toThrow(/moe: y: expected finite values/);
  });
});
