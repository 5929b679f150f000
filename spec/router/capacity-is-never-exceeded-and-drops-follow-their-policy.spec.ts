// Expert capacity and token dropping (src/router/capacity.ts):
//  - each capacity formula reproduces the worked example of its comment (T=10, E=4, k=2, cf=1 gives
//    5, 8, 6 and 4 under Megatron, DeepSpeed, Tutel and flaxformer), and round-half-even is Python's;
//  - no expert takes more than `capacity` slots in any group; kept + dropped = T·k; the statistics agree;
//  - each drop policy keeps the slots it names: the earliest by (choice, token), by (token, choice), or
//    the largest weights;
//  - with a capacity no expert reaches nothing drops and the layer equals the uncapped layer, bit for bit;
//  - a dropped token gives 0 ('zero') or its input times its top-1 probability (Hugging Face Switch);
//  - 'renormalize' makes the kept weights of a token sum to 1.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expertCapacity, initMoEParams, MoEOracleError, roundHalfEven, type CapacityConfig, type DropPolicy, type MoEConfig } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { randomInput } from '../helpers.js';

describe('capacity formulas', () => {
  it('reproduce the worked example T=10, E=4, k=2, cf=1: Megatron 5, DeepSpeed 8, Tutel 6, flaxformer 4', () => {
    // By hand: Megatron ceil(10·2/4·1) = 5; DeepSpeed ceil(10/4·1·2) = 5, raised to min_capacity 8;
    // Tutel 2·int(1·ceil(10/4)) = 2·3 = 6; flaxformer round(1·10/4) = round(2.5) = 2 (half to even),
    // raised to min_expert_capacity 4.
    const example = (formula: CapacityConfig['formula'], minCapacity: number) => expertCapacity({ formula, factor: 1, minCapacity }, 10, 4, 2);
    expect([example('megatron', 0), example('deepspeed', 8), example('tutel', 0), example('flaxformer', 4)]).toEqual([5, 8, 6, 4]);
    // Without the minimums the raw formulas give 5, 5, 6, 2.
    expect([example('megatron', 0), example('deepspeed', 0), example('tutel', 0), example('flaxformer', 0)]).toEqual([5, 5, 6, 2]);
  });

  it("round half to even is Python's round (JavaScript's Math.round differs at .5)", () => {
    // Python: [round(v) for v in (0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999999999999996, 2.5000000000000004)]
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999999999999996, 2.5000000000000004].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, -2, 2, 3]);
    expect(Math.round(2.5)).toBe(3);
  });
});

const capacityShape = fc.record({
  groups: fc.integer({ min: 1, max: 3 }),
  groupSize: fc.integer({ min: 1, max: 10 }),
  hidden: fc.integer({ min: 1, max: 8 }),
  numExperts: fc.integer({ min: 1, max: 6 }),
  topK: fc.integer({ min: 1, max: 3 }),
  factor: fc.double({ min: 0.05, max: 2, noNaN: true }),
  formula: fc.constantFrom('megatron', 'deepspeed', 'tutel', 'flaxformer') as fc.Arbitrary<CapacityConfig['formula']>,
  dropPolicy: fc.constantFrom('position-choice-major', 'position-token-major', 'probs') as fc.Arbitrary<DropPolicy>,
  seed: fc.integer({ min: 0, max: 0xffffffff }),
}).filter((s) => s.topK <= s.numExperts);

describe.each(SPEC_BACKENDS)('capacity in the MoE layer ($name backend)', ({ kernels }) => {
  const { moeForward } = entryPointsOn(kernels);
  const layerOf = (s: { hidden: number; numExperts: number; topK: number }, capacity: CapacityConfig, router: Partial<MoEConfig['router']> = {}): MoEConfig => ({
    hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: 4, router: { topK: s.topK, ...router, capacity },
  });

  it('never exceeds the capacity; kept + dropped = T·k; each policy keeps the slots it names', () => {
    fc.assert(
      fc.property(capacityShape, (s) => {
        const T = s.groups * s.groupSize;
        const config = layerOf(s, { formula: s.formula, factor: s.factor, minCapacity: 0, dropPolicy: s.dropPolicy, groupSize: s.groupSize });
        const out = moeForward(randomInput(T, s.hidden, s.seed), initMoEParams(config, s.seed), config);
        const c = out.router.capacity!;
        const k = s.topK;
        expect(c.capacity).toBe(expertCapacity({ formula: s.formula, factor: s.factor, minCapacity: 0 }, s.groupSize, s.numExperts, k));
        const kept = Array.from(c.keptMask.data);
        expect(kept.filter((v) => v === 1).length + c.droppedCount).toBe(T * k);
        expect(c.dropped.length).toBe(kept.filter((v) => v === 0).length);
        expect(Array.from(out.tokensPerExpert.data)).toEqual(Array.from(c.tokensPerExpert.data));
        const indices = out.router.topkIndices.data;
        const weights = out.router.topkWeights.data;
        for (let g = 0; g < s.groups; g++) {
          for (let e = 0; e < s.numExperts; e++) {
            const slots: number[] = [];
            for (let t = g * s.groupSize; t < (g + 1) * s.groupSize; t++) for (let j = 0; j < k; j++) if (indices[t * k + j] === e) slots.push(t * k + j);
            const keptSlots = slots.filter((x) => kept[x] === 1);
            const droppedSlots = slots.filter((x) => kept[x] === 0);
            expect(keptSlots.length).toBe(Math.min(slots.length, c.capacity));
            // Priority of a slot s = t·k + j under each policy: smaller goes first.
            for (const a of keptSlots) {
              for (const d of droppedSlots) {
                const [ta, ja, td, jd] = [Math.floor(a / k), a % k, Math.floor(d / k), d % k];
                if (s.dropPolicy === 'position-choice-major') expect(ja < jd || (ja === jd && ta < td)).toBe(true);
                if (s.dropPolicy === 'position-token-major') expect(ta < td).toBe(true);
                if (s.dropPolicy === 'probs') expect(weights[a] > weights[d] || (weights[a] === weights[d] && a < d)).toBe(true);
              }
            }
          }
        }
        // Dropped slots ('zero') carry no weight in the combine.
        c.dropped.forEach((d) => expect(c.combineWeights.data[d.token * k + d.slot]).toBe(0));
      }),
      { numRuns: 60 },
    );
  });

  it('with a capacity no expert reaches, nothing drops and the layer equals the uncapped layer bit for bit', () => {
    fc.assert(
      fc.property(capacityShape, (s) => {
        const T = s.groups * s.groupSize;
        const plain: MoEConfig = { hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: 4, router: { topK: s.topK } };
        const capped = layerOf(s, { formula: 'fixed', expertCapacity: T, dropPolicy: s.dropPolicy });
        const params = initMoEParams(plain, s.seed);
        const x = randomInput(T, s.hidden, s.seed);
        const a = moeForward(x, params, plain);
        const b = moeForward(x, params, capped);
        expect(b.router.capacity!.droppedCount).toBe(0);
        expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
        expect(Array.from(b.tokensPerExpert.data)).toEqual(Array.from(a.tokensPerExpert.data));
      }),
      { numRuns: 40 },
    );
  });

  it("a dropped token gives 0, or, with Hugging Face Switch's pass-through, its input times its top-1 probability", () => {
    fc.assert(
      fc.property(capacityShape, (s) => {
        const T = s.groups * s.groupSize;
        const one = { ...s, topK: 1 };
        const zero = layerOf(one, { formula: 'fixed', expertCapacity: 1, groupSize: s.groupSize }, { normalization: 'none' });
        const passThrough = layerOf(one, { formula: 'fixed', expertCapacity: 1, groupSize: s.groupSize, dropped: 'pass-through' }, { normalization: 'none' });
        const params = initMoEParams(zero, s.seed);
        const x = randomInput(T, s.hidden, s.seed);
        const a = moeForward(x, params, zero);
        const b = moeForward(x, params, passThrough);
        const H = s.hidden;
        const droppedTokens = new Set(a.router.capacity!.dropped.map((d) => d.token));
        for (let t = 0; t < T; t++) {
          const p = a.router.topkWeights.data[t];
          for (let h = 0; h < H; h++) {
            if (droppedTokens.has(t)) {
              expect(a.output.data[t * H + h]).toBe(0);
              expect(b.output.data[t * H + h]).toBe(Math.fround(p * x.data[t * H + h]));
            } else {
              expect(b.output.data[t * H + h]).toBe(a.output.data[t * H + h]);
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it("'renormalize' makes the kept weights of every token that kept a slot sum to 1 (DeepSpeed)", () => {
    fc.assert(
      fc.property(capacityShape, (s) => {
        const T = s.groups * s.groupSize;
        const config = layerOf(s, { formula: s.formula, factor: s.factor, minCapacity: 0, dropPolicy: s.dropPolicy, groupSize: s.groupSize, afterDrop: 'renormalize' }, { normalization: 'none' });
        const out = moeForward(randomInput(T, s.hidden, s.seed), initMoEParams(config, s.seed), config);
        const c = out.router.capacity!;
        for (let t = 0; t < T; t++) {
          let sum = 0;
          let keptAny = false;
          for (let j = 0; j < s.topK; j++) if (c.keptMask.data[t * s.topK + j]) { sum += c.combineWeights.data[t * s.topK + j]; keptAny = true; }
          if (keptAny) expect(Math.abs(sum - 1)).toBeLessThanOrEqual(s.topK * 2 ** -24);
          else expect(sum).toBe(0);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('bad capacity configs', () => {
  const config = (capacity: object, topK = 2): MoEConfig => ({ hiddenSize: 4, numExperts: 4, expertIntermediateSize: 4, router: { topK, capacity: capacity as CapacityConfig } });
  const x = randomInput(10, 4, 0);
  it.each([
    ['a capacity factor of 0', config({ formula: 'megatron', factor: 0 }), 'config.router.capacity.factor: expected a finite number > 0'],
    ['a negative capacity factor', config({ formula: 'tutel', factor: -1 }), 'config.router.capacity.factor: expected a finite number > 0 (to route without dropping, leave router.capacity out), got -1'],
    ['a group size not dividing T', config({ formula: 'megatron', factor: 1, groupSize: 4 }), 'router.capacity.groupSize: expected a divisor of the number of tokens T = 10, got 4'],
    ['pass-through with k > 1', config({ formula: 'fixed', expertCapacity: 2, dropped: 'pass-through' }), "config.router.capacity.dropped: expected 'zero' when k > 1"],
  ])('%s is a MoEOracleError naming the key', (_name, c, message) => {
    const run = () => entryPointsOn(SPEC_BACKENDS[0].kernels).moeForward(x, initMoEParams({ ...c, router: { topK: c.router.topK } }, 0), c);
    expect(run).toThrow(MoEOracleError);
    expect(run).toThrow(`moe-oracle: ${message}`);
  });
});
