// The calculator's per-MoE-layer counts equal the number of elements in the weights this project's
// own MoE layer (src/moe) allocates for the same layer: routed experts, shared experts (with
// Qwen2-MoE's gate) and router (weight, bias, score-correction bias), component by component.
// Small random configs of every MoE family are allocated for real (initMoEParams); the presets'
// layers are compared against the parameter shapes (moeParameterShapes) without allocating them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, moeParameterNames, moeParameterShapes, resolveMoEConfig, type MoEConfig } from '../../src/moe/index.js';
import { countParameters, PRESETS } from '../../src/params/index.js';
import { readHfModel, type ModelDescription, type MoESpec } from '../../src/hf/index.js';
import { anyMoeConfig } from './hf-config-arbitraries.js';

type Part = 'routedExperts' | 'sharedExperts' | 'router';

/** The MoE layer config of the src/moe module that has the same weights as `moe`. */
function moeLayerConfig(moe: MoESpec, hiddenSize: number): MoEConfig {
  const shared = moe.sharedExperts;
  return {
    hiddenSize,
    numExperts: moe.numExperts,
    expertIntermediateSize: moe.expert.intermediateSize,
    expertKind: moe.expert.bias ? 'gpt-oss' : moe.expert.gated ? 'swiglu' : 'relu', // gpt-oss: the gated expert with biases
    router: { topK: moe.topK, bias: moe.routerBias, scoreCorrectionBias: moe.scoreCorrectionBias },
    // DeepSeek's n_shared_experts run as one SwiGLU of n_shared · moe_intermediate_size.
    sharedExpertIntermediateSize: shared ? shared.count * shared.expert.intermediateSize : 0,
    sharedExpertGate: shared?.gate ?? false,
  };
}

/** Which part of the layer a src/moe parameter name belongs to. */
function partOf(name: string, config: MoEConfig): Part {
  const names = moeParameterNames(resolveMoEConfig(config));
  if ([names.routerWeight, names.routerBias, names.scoreCorrectionBias].includes(name)) return 'router';
  const shared = [names.sharedExpert.gate, names.sharedExpert.up, names.sharedExpert.down, names.sharedExpertGate];
  return shared.includes(name) ? 'sharedExperts' : 'routedExperts';
}

/** Summed element counts per part, from (name, number of elements) pairs. */
function sumByPart(entries: Array<[string, number]>, config: MoEConfig): Record<Part, number> {
  const sums: Record<Part, number> = { routedExperts: 0, sharedExperts: 0, router: 0 };
  for (const [name, elements] of entries) sums[partOf(name, config)] += elements;
  return sums;
}

/** The calculator's counts for one layer of each MoE layer kind, with the layer's MoE spec. */
function calculatorMoeLayers(model: ModelDescription): Array<{ moe: MoESpec; perLayer: Record<Part, number> }> {
  const counts = countParameters(model);
  return model.layerGroups.flatMap((group) => {
    if (group.feedForward.kind !== 'moe') return [];
    const layer = counts.byLayerKind.find((kind) => kind.kind === group.kind)!;
    const perLayer = (part: Part) => layer.byComponent[part].total / layer.layers;
    return [{ moe: group.feedForward.moe, perLayer: { routedExperts: perLayer('routedExperts'), sharedExperts: perLayer('sharedExperts'), router: perLayer('router') } }];
  });
}

describe('per-MoE-layer counts', () => {
  it('equal the elements the MoE layer allocates, for small configs of every family', () => {
    fc.assert(
      fc.property(anyMoeConfig, fc.integer({ min: 0, max: 0xffffffff }), (generated, seed) => {
        const model = readHfModel(generated.config);
        for (const { moe, perLayer } of calculatorMoeLayers(model)) {
          const config = moeLayerConfig(moe, model.hiddenSize);
          const allocated = Object.entries(initMoEParams(config, seed)).map(([name, tensor]): [string, number] => [name, tensor.data.length]);
          expect(perLayer).toEqual(sumByPart(allocated, config));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('equal the summed parameter shapes of the MoE layer for every preset', () => {
    for (const preset of PRESETS) {
      const model = readHfModel(preset.config, preset.name);
      for (const { moe, perLayer } of calculatorMoeLayers(model)) {
        const config = moeLayerConfig(moe, model.hiddenSize);
        const shapes = moeParameterShapes(config).map(({ name, shape }): [string, number] => [name, shape.reduce((a, b) => a * b, 1)]);
        expect(perLayer, preset.name).toEqual(sumByPart(shapes, config));
      }
    }
  });
});
