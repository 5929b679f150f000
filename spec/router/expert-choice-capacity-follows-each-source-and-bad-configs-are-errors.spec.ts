// Expert choice's capacity c, one named formula per source, on worked examples computed by hand from
// the sources' code (the file comment of src/router/expert-choice.ts quotes them), and Soft MoE's slot
// count from vmoe's own test. Then every bad expert-choice or Soft MoE config is a MoEOracleError that
// names the offending key.
import { describe, expect, it } from 'vitest';
import {
  expertChoiceCapacity, initMoEParams, moeForward, resolveExpertChoiceConfig, resolveMoEConfig, route, softMoERoute,
  softMoESlotsPerExpert, intTensor, routerBackward, tensor, type ExpertChoiceConfig, type MoEConfig,
} from '../../src/index.js';
import { randomInput, errorOf } from '../helpers.js';

const c = (config: ExpertChoiceConfig, T: number, N: number) => expertChoiceCapacity(resolveExpertChoiceConfig(config, 'expertChoice'), T, N);

/** Asserts that `run` throws a MoEOracleError whose argument contains `argument`. */
function expectError(run: () => unknown, argument: string): void {
  expect(errorOf(run).argument).toContain(argument);
}

describe('expert-choice capacity', () => {
  it('the paper: c = T·cf/N, an integer', () => {
    expect(c({ formula: 'paper', factor: 1 }, 16, 4)).toBe(4); // 16·1/4
    expect(c({ formula: 'paper', factor: 2 }, 12, 8)).toBe(3); // 12·2/8
    expect(c({ formula: 'paper', factor: 0.5 }, 16, 4)).toBe(2);
    expectError(() => c({ formula: 'paper', factor: 1 }, 10, 4), 'expertChoice.factor'); // 2.5: the paper never rounds
  });

  it('flaxformer: max(round-half-even(cf·T/N), min_expert_capacity 4)', () => {
    expect(c({ formula: 'flaxformer', factor: 1 }, 10, 4)).toBe(4); // round(2.5) = 2, raised to 4
    expect(c({ formula: 'flaxformer', factor: 1, minCapacity: 0 }, 10, 4)).toBe(2); // half to even: 2 (JavaScript's Math.round gives 3)
    expect(c({ formula: 'flaxformer', factor: 1, minCapacity: 0 }, 14, 4)).toBe(4); // round(3.5) = 4
    expect(c({ formula: 'flaxformer', factor: 2, minCapacity: 1 }, 12, 6)).toBe(4);
    expectError(() => c({ formula: 'flaxformer', factor: 1 }, 3, 4), 'expertChoice'); // min 4 > 3 tokens: jax.lax.top_k would fail
  });

  it('vmoe: ceil (or round) of T·cf/N, at least 1, raised to a multiple of 4', () => {
    expect(c({ formula: 'vmoe', factor: 1 }, 10, 4)).toBe(4); // ceil(2.5) = 3 → 4
    expect(c({ formula: 'vmoe', factor: 1, multipleOf: 1 }, 10, 4)).toBe(3);
    expect(c({ formula: 'vmoe', factor: 1, multipleOf: 1, rounding: 'round' }, 10, 4)).toBe(2);
    expect(c({ formula: 'vmoe', factor: 1.5, multipleOf: 0 }, 10, 4)).toBe(4); // ceil(3.75)
    expect(c({ formula: 'vmoe', factor: 1, multipleOf: 2 }, 20, 4)).toBe(6); // 5 → 6
    expectError(() => c({ formula: 'vmoe', factor: 0.5, multipleOf: 1, rounding: 'round' }, 3, 4), 'expertChoice.factor'); // round(0.375) = 0: vmoe raises
    expectError(() => c({ formula: 'vmoe', factor: 1 }, 3, 4), 'expertChoice'); // 1 → 4 > 3 tokens
  });

  it('fixed: the given c, within [1, T]', () => {
    expect(c({ formula: 'fixed', expertCapacity: 3 }, 5, 9)).toBe(3);
    expectError(() => c({ formula: 'fixed', expertCapacity: 6 }, 5, 9), 'expertChoice');
  });

  it("Soft MoE's slots per expert: vmoe's round(T·cf/E), as in its router_test (T 8, E 5 → 2)", () => {
    expect(softMoESlotsPerExpert(8, 5)).toBe(2);
    expect(softMoESlotsPerExpert(10, 4)).toBe(2); // round(2.5), half to even
    expect(softMoESlotsPerExpert(14, 4)).toBe(4); // round(3.5)
    expect(softMoESlotsPerExpert(16, 4, 0.5)).toBe(2);
    expectError(() => softMoESlotsPerExpert(2, 8), 'factor'); // round(0.25) = 0
  });
});

describe('bad expert-choice and Soft MoE configs', () => {
  const layer = (router: unknown, extra: Partial<MoEConfig> = {}) => ({ hiddenSize: 4, numExperts: 3, expertIntermediateSize: 5, router, ...extra }) as MoEConfig;
  const ec = { formula: 'paper', factor: 1.5 } as const;

  it('capacity factor ≤ 0, NaN or missing; options of another formula', () => {
    for (const factor of [0, -1, NaN, Infinity, undefined, '1']) expectError(() => resolveMoEConfig(layer({ expertChoice: { formula: 'paper', factor } })), 'config.router.expertChoice.factor');
    expectError(() => resolveMoEConfig(layer({ expertChoice: { formula: 'vmoe', factor: 1, minCapacity: 2 } })), 'expertChoice.minCapacity');
    expectError(() => resolveMoEConfig(layer({ expertChoice: { formula: 'paper', factor: 1, expertCapacity: 2 } })), 'expertChoice.expertCapacity');
    expectError(() => resolveMoEConfig(layer({ expertChoice: { formula: 'fixed', expertCapacity: 0 } })), 'expertChoice.expertCapacity');
    expectError(() => resolveMoEConfig(layer({ expertChoice: { formula: 'megatron', factor: 1 } })), 'expertChoice.formula');
    expectError(() => resolveMoEConfig(layer({ expertChoice: { ...ec, groupSize: 0 } })), 'expertChoice.groupSize');
    expectError(() => resolveMoEConfig(layer({ expertChoice: { ...ec, typo: 1 } })), 'expertChoice.typo');
  });

  it('token-choice keys beside expertChoice or softMoE', () => {
    expectError(() => resolveMoEConfig(layer({ topK: 2, expertChoice: ec })), 'config.router.topK');
    expectError(() => resolveMoEConfig(layer({ scoring: 'sigmoid', expertChoice: ec })), 'config.router.scoring');
    expectError(() => resolveMoEConfig(layer({ normalization: 'sum', expertChoice: ec })), 'config.router.normalization');
    expectError(() => resolveMoEConfig(layer({ groups: { method: 'megatron', numGroups: 1, topkGroup: 1 }, expertChoice: ec })), 'config.router.groups');
    expectError(() => resolveMoEConfig(layer({ capacity: { formula: 'megatron', factor: 1 }, expertChoice: ec })), 'config.router.capacity');
    expectError(() => resolveMoEConfig(layer({ expertChoice: ec, softMoE: { slotsPerExpert: 1 } })), 'config.router.softMoE');
    expectError(() => resolveMoEConfig(layer({ topK: 1, softMoE: { slotsPerExpert: 1 } })), 'config.router.topK');
    expectError(() => resolveMoEConfig(layer({ bias: true, softMoE: { slotsPerExpert: 1 } })), 'config.router.bias');
    expectError(() => resolveMoEConfig(layer({ kind: 'soft-moe', expertChoice: ec })), 'config.router.kind');
    expectError(() => resolveMoEConfig(layer({ kind: 'expert-choice', topK: 1 })), 'config.router.kind');
  });

  it('Soft MoE: slots, the logits form', () => {
    expectError(() => resolveMoEConfig(layer({ softMoE: { slotsPerExpert: 0 } })), 'softMoE.slotsPerExpert');
    expectError(() => resolveMoEConfig(layer({ softMoE: { slotsPerExpert: 1.5 } })), 'softMoE.slotsPerExpert');
    expectError(() => resolveMoEConfig(layer({ softMoE: { slotsPerExpert: 2, logits: 'cosine' } })), 'softMoE.logits');
  });

  it('dense mode, a shared expert or input weighting with either', () => {
    for (const router of [{ expertChoice: ec }, { softMoE: { slotsPerExpert: 1 } }]) {
      expectError(() => resolveMoEConfig(layer(router, { mode: 'dense' })), 'config.mode');
      expectError(() => resolveMoEConfig(layer(router, { sharedExpertIntermediateSize: 4 })), 'config.sharedExpertIntermediateSize');
      expectError(() => resolveMoEConfig(layer(router, { routerWeightOn: 'input' })), 'config.routerWeightOn');
    }
  });

  it('calls: groups not dividing T, c above a group, malformed replays, Soft MoE parameters', () => {
    const config = layer({ expertChoice: { formula: 'fixed', expertCapacity: 2, groupSize: 3 } });
    const params = initMoEParams(config, 1);
    expectError(() => moeForward(randomInput(4, 4, 1), params, config), 'router.expertChoice.groupSize');
    expectError(() => moeForward(randomInput(6, 4, 1), params, layer({ expertChoice: { formula: 'fixed', expertCapacity: 4, groupSize: 3 } })), 'router.expertChoice');
    const x = randomInput(6, 4, 1);
    expectError(() => moeForward(x, params, config, { routingOverride: intTensor(new Int32Array(6 * 3).fill(0), [6, 3]) }), 'routing override');
    const wrongGroup = new Int32Array([0, 1, 0, 2, 1, 2, 3, 4, 3, 5, 4, 5]);
    wrongGroup[0] = 4; // group 0 may only take tokens 0 … 2
    expectError(() => moeForward(x, params, config, { routingOverride: intTensor(wrongGroup, [6, 2]) }), 'routing override[0, 0]');
    const twice = new Int32Array([0, 0, 0, 2, 1, 2, 3, 4, 3, 5, 4, 5]);
    expectError(() => moeForward(x, params, config, { routingOverride: intTensor(twice, [6, 2]) }), 'routing override[0]');

    const soft = layer({ softMoE: { slotsPerExpert: 2 } });
    const softParams = initMoEParams(soft, 2);
    expectError(() => moeForward(x, { ...softParams, 'router.mu': tensor(new Float32Array(4 * 3 * 3), [4, 3, 3]) }, soft), 'params["router.mu"]');
    const { 'router.scale': _, ...withoutScale } = softParams;
    expectError(() => moeForward(x, withoutScale, soft), 'params["router.scale"]');
    expectError(() => moeForward(x, softParams, layer({ softMoE: { slotsPerExpert: 2, logits: 'plain' } })), 'params["router.scale"]');
    expectError(() => moeForward(x, { ...softParams, 'router.scale': tensor([NaN], [1]) }, soft), 'params["router.scale"]');
    expectError(() => moeForward(x, softParams, soft, { routingOverride: intTensor([0], [1, 1]) }), 'routingOverride');
    expectError(() => route(x, { weight: tensor(new Float32Array(12), [3, 4]) }, { softMoE: { slotsPerExpert: 2 } }), 'config.softMoE');
    expectError(() => softMoERoute(x, { mu: softParams['router.mu'] }, { slotsPerExpert: 2 }), 'router.scale');
    expectError(() => routerBackward(tensor(new Float32Array(12), [4, 3]), intTensor([0, 1, 2, 0], [4, 1]), tensor(new Float32Array(4), [4, 1]), { expertChoice: ec }), 'routerOptions');
    expectError(() => softMoERoute(randomInput(6, 5, 1), { mu: softParams['router.mu'], scale: softParams['router.scale'] }, { slotsPerExpert: 2 }), 'router.mu');
  });
});
