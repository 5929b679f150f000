// With every expert active (top-k = N; Switch routes top-1, so N = 1), a token uses every weight:
// active = total, provided both embedding matrices count as active (the 'both' convention) —
// whatever the tying and the MTP counting. Leaving the embeddings out breaks the equality.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countParameters } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';
import { anyConfig, anyCountOptions, readKey, withKey, type GeneratedConfig } from './hf-config-arbitraries.js';

/** The config with top-k raised to the number of experts. */
function allExpertsActive(generated: GeneratedConfig): Record<string, unknown> {
  if (generated.expertsKey === null) return generated.config;
  if (generated.topKKey === null) return withKey(generated.config, generated.expertsKey, 1);
  return withKey(generated.config, generated.topKKey, readKey(generated.config, generated.expertsKey));
}

describe('with all experts active', () => {
  it('active equals total when both embedding matrices count as active', () => {
    fc.assert(
      fc.property(anyConfig, anyCountOptions, (generated, options) => {
        const counts = countParameters(readHfModel(allExpertsActive(generated)), { ...options, activeEmbeddings: 'both' });
        expect(counts.active).toBe(counts.total);
      }),
      { numRuns: 400 },
    );
  });

  it('active falls short of total when the embeddings do not count', () => {
    fc.assert(
      fc.property(anyConfig, fc.constantFrom('lm-head' as const, 'none' as const), (generated, activeEmbeddings) => {
        const counts = countParameters(readHfModel(allExpertsActive(generated)), { activeEmbeddings, tiedEmbeddings: false });
        expect(counts.active).toBeLessThan(counts.total);
      }),
      { numRuns: 100 },
    );
  });
});
