// Causality: changing the tokens after position t never changes the outputs (or attention weights) at
// positions ≤ t, for every attention kind and MLA form. Exact: a masked key gets probability exactly 0.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, randomNormal, tensor } from '../../src/index.js';
import { SPEC_BACKENDS } from '../backends.js';
import { anyConfig, attentionCase, materialise } from './arbitraries.js';

describe.each(SPEC_BACKENDS)('causality ($name backend)', ({ kernels }) => {
  it('outputs at positions ≤ t ignore the tokens after t', () => {
    fc.assert(
      fc.property(attentionCase(anyConfig, 8), fc.nat(), fc.constantFrom('naive' as const, 'absorbed' as const), (c, cut, form) => {
        const mlaForm = c.config.kind === 'mla' ? form : 'naive';
        const { params, x } = materialise(c);
        const t = cut % c.tokens; // positions 0…t stay, t+1… change
        const H = c.config.hiddenSize;
        const other = randomNormal([c.tokens, H], { seed: c.seed, name: 'inputs.other' });
        const changed = tensor(Float32Array.from(x.data, (v, i) => (i < (t + 1) * H ? v : other.data[i])), [c.tokens, H]);
        const a = attention(x, params, c.config, { backend: kernels, form: mlaForm });
        const b = attention(changed, params, c.config, { backend: kernels, form: mlaForm });
        expect(Array.from(b.output.data.slice(0, (t + 1) * H))).toEqual(Array.from(a.output.data.slice(0, (t + 1) * H)));
        for (let h = 0; h < c.config.numHeads; h++) {
          const rows = [(h * c.tokens) * c.tokens, (h * c.tokens + t + 1) * c.tokens];
          expect(Array.from(b.attentionWeights.data.slice(...rows))).toEqual(Array.from(a.attentionWeights.data.slice(...rows)));
        }
      }),
      { numRuns: 50 },
    );
  });
});
