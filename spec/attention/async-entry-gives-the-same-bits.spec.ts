// attentionAsync on a deliberately asynchronous wrapper of cpu (spec/backends/async-cpu.ts) gives the
// bits of the synchronous entry on cpu, for every kind and form, with and without caches (both entries
// run the same stage functions; only the read back differs).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attention, attentionAsync, cacheContents, createAttentionCache, createPagedAttentionCache, MoEOracleError } from '../../src/index.js';
import { asyncCpuBackend } from '../backends/async-cpu.js';
import { anyConfig, attentionCase, materialise, rowsOf } from './arbitraries.js';

describe('attentionAsync gives the same bits through an asynchronous backend', () => {
  it('full pass and cached decode (contiguous and paged)', async () => {
    await fc.assert(
      fc.asyncProperty(attentionCase(anyConfig, 5), fc.constantFrom('naive' as const, 'absorbed' as const), async (c, form) => {
        const mlaForm = c.config.kind === 'mla' ? form : 'naive';
        const { params, x } = materialise(c);
        const sync = attention(x, params, c.config, { form: mlaForm });
        const viaAsync = await attentionAsync(x, params, c.config, { form: mlaForm, backend: asyncCpuBackend });
        expect(Array.from(viaAsync.output.data)).toEqual(Array.from(sync.output.data));
        expect(Array.from(viaAsync.attentionWeights.data)).toEqual(Array.from(sync.attentionWeights.data));
        const syncCache = createAttentionCache(c.config, { capacity: c.tokens });
        const asyncCache = createPagedAttentionCache(c.config, { blockSize: 2, numBlocks: Math.ceil(c.tokens / 2), blockTable: Array.from({ length: Math.ceil(c.tokens / 2) }, (_, b) => b) });
        for (let t = 0; t < c.tokens; t++) {
          const a = attention(rowsOf(x, t, t + 1), params, c.config, { form: mlaForm, cache: syncCache });
          const b = await attentionAsync(rowsOf(x, t, t + 1), params, c.config, { form: mlaForm, cache: asyncCache, backend: asyncCpuBackend });
          expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
        }
        const [p, q] = [cacheContents(asyncCache), cacheContents(syncCache)];
        for (const name of Object.keys(q)) expect(Array.from(p[name].data)).toEqual(Array.from(q[name].data));
      }),
      { numRuns: 15 },
    );
  });

  it('the synchronous entry refuses the asynchronous backend, naming attentionAsync', () => {
    const c = { config: { kind: 'mqa' as const, hiddenSize: 4, numHeads: 2, headDim: 2 }, tokens: 2, seed: 1 };
    const { params, x } = materialise(c);
    expect(() => attention(x, params, c.config, { backend: asyncCpuBackend })).toThrow(MoEOracleError);
    expect(() => attention(x, params, c.config, { backend: asyncCpuBackend })).toThrow(/attentionAsync/);
  });
});
