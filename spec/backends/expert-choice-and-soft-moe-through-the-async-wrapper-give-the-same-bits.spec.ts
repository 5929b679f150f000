// Expert choice and Soft MoE keep the layer's stage shape: moeForwardAsync, routeAsync and
// softMoERouteAsync through the deliberately asynchronous wrapper of cpu (async-cpu.ts) give exactly the
// bits of the synchronous entries, and the synchronous Soft MoE router refuses an asynchronous backend,
// naming its twin.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, moeForward, moeForwardAsync, MoEOracleError, route, routeAsync, softMoERoute, softMoERouteAsync, type Tensor, type IntTensor } from '../../src/index.js';
import { expertChoiceConfig, expertChoiceInput, expertChoiceShape } from '../router/expert-choice-arbitraries.js';
import { softMoEConfig, softMoEParams, softMoEShape } from '../router/soft-moe-arbitraries.js';
import { randomInput } from '../helpers.js';
import { asyncCpuBackend } from './async-cpu.js';

const bits = (tensors: Record<string, Tensor | IntTensor | undefined>) => Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t === undefined ? undefined : Array.from(t.data)]));

describe('expert choice and Soft MoE through an asynchronous backend', () => {
  it('expert choice: moeForwardAsync and routeAsync equal their synchronous twins, bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(expertChoiceShape, async (s) => {
        const config = expertChoiceConfig(s);
        const params = initMoEParams(config, s.seed);
        const x = expertChoiceInput(s);
        const sync = moeForward(x, params, config);
        const viaAsync = await moeForwardAsync(x, params, config, { backend: asyncCpuBackend });
        const fields = (o: typeof sync) => bits({ y: o.output, scores: o.router.scores, indices: o.router.expertChoice!.expertIndices, weights: o.router.expertChoice!.expertWeights, margins: o.router.margins, perToken: o.router.expertChoice!.expertsPerToken });
        expect(fields(viaAsync)).toEqual(fields(sync));
        const routerParams = { weight: params['gate.weight'], ...(s.bias ? { bias: params['gate.bias'] } : {}) };
        const routed = await routeAsync(x, routerParams, config.router, { backend: asyncCpuBackend });
        expect(Array.from(routed.expertChoice!.expertIndices.data)).toEqual(Array.from(route(x, routerParams, config.router).expertChoice!.expertIndices.data));
      }),
      { numRuns: 30 },
    );
  });

  it('Soft MoE: moeForwardAsync and softMoERouteAsync equal their synchronous twins, bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(softMoEShape, async (s) => {
        const config = softMoEConfig(s);
        const params = softMoEParams(s, config);
        const x = randomInput(s.tokens, s.hidden, s.seed, s.inputScale);
        const sync = moeForward(x, params, config);
        const viaAsync = await moeForwardAsync(x, params, config, { backend: asyncCpuBackend });
        const fields = (o: typeof sync) => bits({ y: o.output, ...o.softMoE });
        expect(fields(viaAsync)).toEqual(fields(sync));
        const routerParams = { mu: params['router.mu'], scale: params['router.scale'] };
        const routerConfig = { slotsPerExpert: s.slots, logits: s.logits };
        expect(bits({ ...(await softMoERouteAsync(x, routerParams, routerConfig, { backend: asyncCpuBackend })) })).toEqual(bits({ ...softMoERoute(x, routerParams, routerConfig) }));
      }),
      { numRuns: 30 },
    );
  });

  it('softMoERoute refuses an asynchronous backend and names softMoERouteAsync', () => {
    const s = { tokens: 2, hidden: 3, numExperts: 2, slots: 1, intermediate: 2, seed: 1, logits: 'normalized' as const, scale: 1, inputScale: 1 };
    const params = softMoEParams(s, softMoEConfig(s));
    expect(() => softMoERoute(randomInput(2, 3, 1), { mu: params['router.mu'], scale: params['router.scale'] }, { slotsPerExpert: 1 }, { backend: asyncCpuBackend })).toThrow(MoEOracleError);
    expect(() => softMoERoute(randomInput(2, 3, 1), { mu: params['router.mu'], scale: params['router.scale'] }, { slotsPerExpert: 1 }, { backend: asyncCpuBackend })).toThrow(/softMoERouteAsync/);
  });
});
