// Shared arbitraries of the expert-choice specs: small layers with G groups of S tokens, a capacity
// c ≤ S (formula 'fixed', so every c is reachable), and optional copied tokens (exact score ties).
import fc from 'fast-check';
import { tensor, type MoEConfig, type Tensor } from '../../src/index.js';
import { randomInput } from '../helpers.js';

export interface ExpertChoiceShape {
  groupSize: number;
  groups: number;
  hidden: number;
  numExperts: number;
  intermediate: number;
  seed: number;
  capacity: number;
  /** [from, to]: token `to` becomes a copy of token `from` (exact ties in every expert's column). */
  copies: [number, number][];
  bias: boolean;
}

export const expertChoiceShape: fc.Arbitrary<ExpertChoiceShape> = fc
  .record({
    groupSize: fc.integer({ min: 1, max: 8 }),
    groups: fc.integer({ min: 1, max: 3 }),
    hidden: fc.integer({ min: 1, max: 8 }),
    numExperts: fc.integer({ min: 1, max: 6 }),
    intermediate: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    bias: fc.boolean(),
  })
  .chain((s) => {
    const T = s.groupSize * s.groups;
    return fc.record({
      ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fc.constant(v)])),
      capacity: fc.integer({ min: 1, max: s.groupSize }),
      copies: fc.array(fc.tuple(fc.integer({ min: 0, max: T - 1 }), fc.integer({ min: 0, max: T - 1 })), { maxLength: 3 }),
    }) as fc.Arbitrary<ExpertChoiceShape>;
  });

/** The layer config of a shape: SwiGLU experts, expert choice with c fixed, groups of S tokens. */
export function expertChoiceConfig(s: ExpertChoiceShape): MoEConfig {
  return {
    hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate,
    router: { expertChoice: { formula: 'fixed', expertCapacity: s.capacity, groupSize: s.groupSize }, bias: s.bias },
  };
}

/** x [T, H] of a shape, with its copied tokens. */
export function expertChoiceInput(s: ExpertChoiceShape): Tensor {
  const T = s.groupSize * s.groups;
  const x = randomInput(T, s.hidden, s.seed);
  const data = new Float32Array(x.data);
  for (const [from, to] of s.copies) data.copyWithin(to * s.hidden, from * s.hidden, (from + 1) * s.hidden);
  return tensor(data, [T, s.hidden]);
}
