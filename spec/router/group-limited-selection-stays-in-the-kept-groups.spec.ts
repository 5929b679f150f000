// Group-limited selection (src/router/group-limited.ts), DeepSeek-V3 `noaux_tc`, DeepSeek-V2
// `group_limited_greedy` and Megatron's `group_limited_topk`:
//  - the chosen experts lie in at most topkGroup groups, those the router reports as kept, and the kept
//    groups are the best by the method's group score;
//  - the correction bias changes which experts are chosen, never the weight of a fixed choice;
//  - n_group = 1 is plain sigmoid top-k;
//  - a large negative bias never selects an expert of a masked group (masks are −Infinity, not 0.0);
//  - permuting tokens permutes the routing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GROUP_LIMITED_METHODS, MoEOracleError, randomUniform, tensor, type GroupLimitedMethod, type RouterConfig, type RouterParams } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { randomInput } from '../helpers.js';

const groupShape = fc
  .record({
    tokens: fc.integer({ min: 1, max: 8 }),
    hidden: fc.integer({ min: 1, max: 8 }),
    numGroups: fc.integer({ min: 1, max: 5 }),
    perGroup: fc.integer({ min: 2, max: 4 }),
    method: fc.constantFrom(...GROUP_LIMITED_METHODS) as fc.Arbitrary<GroupLimitedMethod>,
    seed: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .chain((s) => fc.record({ s: fc.constant(s), topkGroup: fc.integer({ min: 1, max: s.numGroups }) }))
  .chain(({ s, topkGroup }) => {
    // Megatron needs 1 ≤ ⌊k / topkGroup⌋ ≤ experts per group.
    const [low, high] = s.method === 'megatron' ? [topkGroup, topkGroup * s.perGroup] : [1, topkGroup * s.perGroup];
    return fc.record({ s: fc.constant({ ...s, topkGroup }), topK: fc.integer({ min: low, max: high }) }).map(({ s: base, topK }) => ({ ...base, topK }));
  });

type Shape = { tokens: number; hidden: number; numGroups: number; perGroup: number; method: GroupLimitedMethod; seed: number; topkGroup: number; topK: number };

function setup(s: Shape, biasShift = 0) {
  const N = s.numGroups * s.perGroup;
  const bound = 1 / Math.sqrt(s.hidden);
  const bias = randomUniform([N], { seed: s.seed, name: 'gate.e_score_correction_bias', low: -0.1, high: 0.1 });
  for (let i = 0; i < N; i++) bias.data[i] = bias.data[i] + biasShift;
  const params: RouterParams = { weight: randomUniform([N, s.hidden], { seed: s.seed, name: 'gate.weight', low: -bound, high: bound }), scoreCorrectionBias: bias };
  const config: RouterConfig = {
    topK: s.topK, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5, scoreCorrectionBias: true,
    groups: { method: s.method, numGroups: s.numGroups, topkGroup: s.topkGroup },
  };
  return { N, params, config, x: randomInput(s.tokens, s.hidden, s.seed) };
}

describe.each(SPEC_BACKENDS)('group-limited selection ($name backend)', ({ kernels }) => {
  const { route } = entryPointsOn(kernels);

  it('chooses experts only in the kept groups, which are the best by the group score', () => {
    fc.assert(
      fc.property(groupShape, (s) => {
        const { params, config, x, N } = setup(s);
        const out = route(x, params, config);
        const groups = out.groups!;
        for (let t = 0; t < s.tokens; t++) {
          const kept = Array.from(groups.chosenGroups.data.slice(t * s.topkGroup, (t + 1) * s.topkGroup));
          const chosen = Array.from(out.topkIndices.data.slice(t * s.topK, (t + 1) * s.topK));
          expect(new Set(chosen.map((e) => Math.floor(e / s.perGroup))).size).toBeLessThanOrEqual(s.topkGroup);
          for (const e of chosen) expect(kept).toContain(Math.floor(e / s.perGroup));
          // Recompute the group scores from the biased selection scores, in float64.
          const selection = Array.from({ length: N }, (_, e) => Math.fround(out.scores.data[t * N + e] + params.scoreCorrectionBias!.data[e]));
          const summed = s.method === 'group_limited_greedy' ? 1 : s.method === 'noaux_tc' ? 2 : Math.floor(s.topK / s.topkGroup);
          const score = (g: number) => Math.fround(selection.slice(g * s.perGroup, (g + 1) * s.perGroup).sort((a, b) => b - a).slice(0, summed).reduce((a, b) => a + b, 0));
          const worstKept = Math.min(...kept.map(score));
          for (let g = 0; g < s.numGroups; g++) if (!kept.includes(g)) expect(score(g)).toBeLessThanOrEqual(worstKept);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('the bias changes which experts are chosen but never the weight of a fixed choice', () => {
    fc.assert(
      fc.property(groupShape, fc.double({ min: -1, max: 1, noNaN: true }), (s, shift) => {
        const a = setup(s);
        const b = setup(s, shift);
        const override = route(a.x, a.params, a.config).topkIndices;
        const wa = route(a.x, a.params, a.config, { routingOverride: override }).topkWeights;
        const wb = route(b.x, b.params, b.config, { routingOverride: override }).topkWeights;
        expect(Array.from(wb.data)).toEqual(Array.from(wa.data));
      }),
      { numRuns: 40 },
    );
  });

  it('n_group = 1 is plain sigmoid top-k', () => {
    fc.assert(
      fc.property(groupShape, (s) => {
        const one = { ...s, numGroups: 1, topkGroup: 1, perGroup: s.numGroups * s.perGroup };
        const { params, config, x } = setup(one);
        const { groups: _groups, ...plain } = config;
        const grouped = route(x, params, config);
        const reference = route(x, params, plain);
        expect(Array.from(grouped.topkIndices.data)).toEqual(Array.from(reference.topkIndices.data));
        expect(Array.from(grouped.topkWeights.data)).toEqual(Array.from(reference.topkWeights.data));
        expect(Array.from(grouped.margins.data)).toEqual(Array.from(reference.margins.data));
      }),
      { numRuns: 40 },
    );
  });

  it('a large negative bias never selects an expert of a masked group', () => {
    fc.assert(
      fc.property(groupShape.filter((s) => s.topkGroup < s.numGroups), (s) => {
        // Every biased score is below 0, so a 0.0 mask would make the masked experts win.
        const { params, config, x } = setup(s, -10);
        const out = route(x, params, config);
        for (let t = 0; t < s.tokens; t++) {
          const kept = Array.from(out.groups!.chosenGroups.data.slice(t * s.topkGroup, (t + 1) * s.topkGroup));
          for (let j = 0; j < s.topK; j++) expect(kept).toContain(Math.floor(out.topkIndices.data[t * s.topK + j] / s.perGroup));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('permuting tokens permutes the routing', () => {
    fc.assert(
      fc.property(groupShape, (s) => {
        const { params, config, x } = setup(s);
        const order = Array.from({ length: s.tokens }, (_, i) => s.tokens - 1 - i);
        const reversed = tensor(order.flatMap((t) => Array.from(x.data.slice(t * s.hidden, (t + 1) * s.hidden))), [s.tokens, s.hidden]);
        const a = route(x, params, config);
        const b = route(reversed, params, config);
        order.forEach((t, i) => expect(Array.from(b.topkIndices.data.slice(i * s.topK, (i + 1) * s.topK))).toEqual(Array.from(a.topkIndices.data.slice(t * s.topK, (t + 1) * s.topK))));
      }),
      { numRuns: 30 },
    );
  });
});

describe('bad group configs', () => {
  const router = (groups: object, topK = 2): RouterConfig => ({ topK, groups: groups as RouterConfig['groups'] });
  const x = randomInput(2, 4, 0);
  const weight = randomUniform([8, 4], { seed: 0, name: 'gate.weight', low: -0.5, high: 0.5 });
  it.each([
    ['n_group not dividing N', router({ method: 'noaux_tc', numGroups: 3, topkGroup: 1 }), 'router.groups.numGroups: expected a divisor of the number of experts N = 8, got 3'],
    ['topk_group > n_group', router({ method: 'noaux_tc', numGroups: 4, topkGroup: 5 }), 'router.groups.topkGroup: expected an integer in [1, 4], got 5'],
    ['k larger than the experts in the kept groups', router({ method: 'group_limited_greedy', numGroups: 4, topkGroup: 1 }, 3), 'router.topK: expected at most 2, the experts in the 1 kept groups of 2, got 3'],
    ['an unknown method', router({ method: 'greedy', numGroups: 4, topkGroup: 1 }), 'router.groups.method: expected one of "noaux_tc", "group_limited_greedy", "megatron", got "greedy"'],
  ])('%s is a MoEOracleError naming the key', (_name, config, message) => {
    expect(() => entryPointsOn(SPEC_BACKENDS[0].kernels).route(x, { weight }, config)).toThrow(MoEOracleError);
    expect(() => entryPointsOn(SPEC_BACKENDS[0].kernels).route(x, { weight }, config)).toThrow(`moe-oracle: ${message}`);
  });
});
