// DeepSeekMoE segmentation: the m fine-grained experts of one FFN sum to that FFN, and an MoE layer
// of those m experts with all m selected at weight 1 equals the FFN.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromGateUpDown, initMoEParams, splitIntoFineGrainedExperts, zeros, type StateDict } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { randomInput } from '../helpers.js';

describe.each(SPEC_BACKENDS)('fine-grained expert segmentation ($name backend)', ({ kernels }) => {
  const { moeForward, swiGLU } = entryPointsOn(kernels);
  it('sums back to the dense FFN, alone and as an MoE layer with k = m, weight 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }),
        (T, H, segmentSize, m, seed) => {
          const I = segmentSize * m;
          const base = initMoEParams({ hiddenSize: H, numExperts: 1, expertIntermediateSize: I, router: { topK: 1 } }, seed);
          const dense = { w1: base['experts.0.w1.weight'], w2: base['experts.0.w2.weight'], w3: base['experts.0.w3.weight'] };
          const x = randomInput(T, H, seed);
          const reference = swiGLU(x, dense).data;
          const segments = splitIntoFineGrainedExperts(dense, m);
          // The intermediate activations of the split and the dense FFN are the same float32 values;
          // they differ only in rounding: each segment's down-projection is rounded to float32 once
          // (≤ ½ ulp of that segment's output) where the dense one rounds the whole sum once (≤ ½ ulp
          // of the result). The bound is per element, on the scale of the segments, since they may
          // cancel to a much smaller sum.
          const outputs = segments.map((seg) => swiGLU(x, seg).data);
          const summed = new Float64Array(T * H);
          const segmentScale = new Float64Array(T * H);
          for (const out of outputs) out.forEach((v, i) => ((summed[i] += v), (segmentScale[i] += Math.abs(v))));
          const bound = (i: number, extraRoundings: number) => 2 ** -24 * ((1 + extraRoundings) * segmentScale[i] + Math.abs(reference[i])) * 1.001 + 1e-45;
          summed.forEach((v, i) => expect(Math.abs(v - reference[i]), `element ${i}`).toBeLessThanOrEqual(bound(i, 0)));

          // As a layer: m experts, k = m, a zero router (every score 1/m), raw scores times m → weight 1
          // up to the float32 rounding of 1/m.
          const params: StateDict = { 'gate.weight': zeros([m, H]) };
          segments.forEach((seg, e) => {
            params[`experts.${e}.w1.weight`] = seg.w1;
            params[`experts.${e}.w2.weight`] = seg.w2;
            params[`experts.${e}.w3.weight`] = seg.w3;
          });
          const layer = moeForward(x, params, { hiddenSize: H, numExperts: m, expertIntermediateSize: segmentSize, router: { topK: m, normalization: 'none', routedScalingFactor: m } });
          // The weights are float32(float32(1/m)·m) = 1 ± 2^-24 and the combine rounds once more.
          layer.output.data.forEach((v, i) => expect(Math.abs(v - reference[i]), `layer element ${i}`).toBeLessThanOrEqual(bound(i, 3)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('accepts gate_proj / up_proj / down_proj names for the same matrices', () => {
    const p = initMoEParams({ hiddenSize: 4, numExperts: 1, expertIntermediateSize: 6, router: { topK: 1 } }, 3);
    const x = randomInput(3, 4, 3);
    const mixtral = swiGLU(x, { w1: p['experts.0.w1.weight'], w2: p['experts.0.w2.weight'], w3: p['experts.0.w3.weight'] });
    const llama = swiGLU(x, fromGateUpDown({ gate_proj: p['experts.0.w1.weight'], up_proj: p['experts.0.w3.weight'], down_proj: p['experts.0.w2.weight'] }));
    expect(Array.from(llama.data)).toEqual(Array.from(mixtral.data));
  });
});
