// DeepSeekMoE segmentation: the m fine-grained experts of one FFN sum to that FFN, and an MoE layer
// of those m experts with all m selected at weight 1 equals the FFN.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromGateUpDown, initMoEParams, moeForward, splitIntoFineGrainedExperts, swiGLU, zeros, type StateDict } from '../../src/index.js';
import { expectClose, maxAbs, randomInput } from '../helpers.js';

describe('fine-grained expert segmentation', () => {
  it('sums back to the dense FFN, alone and as an MoE layer with k = m, weight 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }),
        (T, H, segmentSize, m, seed) => {
          const I = segmentSize * m;
          const base = initMoEParams({ hiddenSize: H, numExperts: 1, topK: 1, expertIntermediateSize: I }, seed);
          const dense = { w1: base['experts.0.w1.weight'], w2: base['experts.0.w2.weight'], w3: base['experts.0.w3.weight'] };
          const x = randomInput(T, H, seed);
          const reference = swiGLU(x, dense).data;
          const segments = splitIntoFineGrainedExperts(dense, m);
          // Each segment's output is a float32 rounding of a partial sum: tolerance = m roundings.
          const tolerance = m * 2 ** -23 * (maxAbs(reference) + 1e-3);
          const summed = new Float64Array(T * H);
          for (const seg of segments) swiGLU(x, seg).data.forEach((v, i) => (summed[i] += v));
          expectClose(summed, reference, tolerance);

          // As a layer: m experts, k = m, a zero router (every score 1/m), raw scores times m → weight 1
          // up to the float32 rounding of 1/m.
          const params: StateDict = { 'gate.weight': zeros([m, H]) };
          segments.forEach((seg, e) => {
            params[`experts.${e}.w1.weight`] = seg.w1;
            params[`experts.${e}.w2.weight`] = seg.w2;
            params[`experts.${e}.w3.weight`] = seg.w3;
          });
          const layer = moeForward(x, params, { hiddenSize: H, numExperts: m, topK: m, expertIntermediateSize: segmentSize, normalization: 'none', routedScalingFactor: m });
          expectClose(layer.output.data, reference, tolerance + 2 ** -24 * m * maxAbs(reference));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('accepts gate_proj / up_proj / down_proj names for the same matrices', () => {
    const p = initMoEParams({ hiddenSize: 4, numExperts: 1, topK: 1, expertIntermediateSize: 6 }, 3);
    const x = randomInput(3, 4, 3);
    const mixtral = swiGLU(x, { w1: p['experts.0.w1.weight'], w2: p['experts.0.w2.weight'], w3: p['experts.0.w3.weight'] });
    const llama = swiGLU(x, fromGateUpDown({ gate_proj: p['experts.0.w1.weight'], up_proj: p['experts.0.w3.weight'], down_proj: p['experts.0.w2.weight'] }));
    expect(Array.from(llama.data)).toEqual(Array.from(mixtral.data));
  });
});
