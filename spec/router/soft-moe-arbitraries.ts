// Shared arbitraries of the Soft MoE specs: small layers (T tokens, E experts of S slots), both forms of
// the logits, a range of learned scales and input magnitudes.
import fc from 'fast-check';
import { initMoEParams, tensor, type MoEConfig, type StateDict } from '../../src/index.js';

export interface SoftMoEShape {
  tokens: number;
  hidden: number;
  numExperts: number;
  slots: number;
  intermediate: number;
  seed: number;
  logits: 'normalized' | 'plain';
  scale: number;
  inputScale: number;
}

export const softMoEShape: fc.Arbitrary<SoftMoEShape> = fc.record({
  tokens: fc.integer({ min: 1, max: 10 }),
  hidden: fc.integer({ min: 1, max: 8 }),
  numExperts: fc.integer({ min: 1, max: 4 }),
  slots: fc.integer({ min: 1, max: 3 }),
  intermediate: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  logits: fc.constantFrom<'normalized' | 'plain'>('normalized', 'plain'),
  scale: fc.constantFrom(1, 0.25, 4, 30),
  inputScale: fc.constantFrom(1, 1e-3, 20),
});

export function softMoEConfig(s: SoftMoEShape, expertKind: MoEConfig['expertKind'] = 'swiglu'): MoEConfig {
  return { hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate, expertKind, router: { softMoE: { slotsPerExpert: s.slots, logits: s.logits } } };
}

/** Parameters of a shape, with its scale (normalised form). */
export function softMoEParams(s: SoftMoEShape, config: MoEConfig): StateDict {
  const params = initMoEParams(config, s.seed);
  if (s.logits === 'normalized') params['router.scale'] = tensor([s.scale], [1]);
  return params;
}
