// One more routed expert adds, in every MoE layer (and every counted MTP module), exactly one
// expert's weights, one router row, and one entry of each per-expert router vector (Switch's router
// bias, DeepSeek-V3's e_score_correction_bias) — and nothing else. Routers are always active, so
// the active count grows by the router entries only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countParameters } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { anyMoeConfig, readKey, withKey } from './hf-config-arbitraries.js';

describe('adding one routed expert', () => {
  it('adds one expert and one router entry per MoE layer', () => {
    fc.assert(
      fc.property(anyMoeConfig, fc.constantFrom('exclude' as const, 'include' as const), (generated, mtp) => {
        const expertsKey = generated.expertsKey!;
        const bigger = withKey(generated.config, expertsKey, readKey(generated.config, expertsKey) + 1);
        const before = countParameters(readHfModel(generated.config), { mtp });
        const after = countParameters(readHfModel(bigger), { mtp });
        const moeLayers = generated.moeLayers + (mtp === 'include' ? generated.mtpMoeLayers : 0);
        expect(after.total - before.total).toBe(moeLayers * (generated.expertParams + generated.routerEntriesPerExpert));
        expect(after.active - before.active).toBe(moeLayers * generated.routerEntriesPerExpert);
        expect(after.byComponent.routedExperts.total - before.byComponent.routedExperts.total).toBe(
          generated.moeLayers * generated.expertParams,
        );
      }),
      { numRuns: 400 },
    );
  });
});
