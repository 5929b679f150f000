// Active parameters are a subset of the stored ones: under every counting convention, for the whole
// model, for every component and for every layer kind, active ≤ total.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PARAMETER_COMPONENTS, countParameters } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { anyConfig, anyCountOptions } from './hf-config-arbitraries.js';

describe('active parameters', () => {
  it('never exceed the total, whole model, per component and per layer kind', () => {
    fc.assert(
      fc.property(anyConfig, anyCountOptions, (generated, options) => {
        const counts = countParameters(readHfModel(generated.config), options);
        expect(counts.active).toBeLessThanOrEqual(counts.total);
        for (const component of PARAMETER_COMPONENTS) {
          expect(counts.byComponent[component].active).toBeLessThanOrEqual(counts.byComponent[component].total);
        }
        for (const layer of counts.byLayerKind) expect(layer.active).toBeLessThanOrEqual(layer.total);
      }),
      { numRuns: 400 },
    );
  });

  it('are strictly fewer than the total when some layer routes k < N experts', () => {
    fc.assert(
      fc.property(anyConfig, (generated) => {
        const counts = countParameters(readHfModel(generated.config));
        const sparse = counts.byLayerKind.some((layer) => layer.byComponent.routedExperts.active < layer.byComponent.routedExperts.total);
        if (sparse) expect(counts.active).toBeLessThan(counts.total);
      }),
      { numRuns: 200 },
    );
  });
});
