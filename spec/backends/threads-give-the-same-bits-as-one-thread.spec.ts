// The wasm-simd backend splits each matrix product's output tiles between the calling thread and a
// helper worker thread. Every tile is computed by the same kernel whichever thread runs it, so the
// layer must give the same bits with 1 and 2 threads, and the bits of cpu. The split threshold is set
// to 0 here so that even these small layers use both threads.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuBackend, createWasmSimdBackend, initMoEParams, moeForward, randomNormal, type MoEConfig } from '../../src/index.js';

const oneThread = createWasmSimdBackend({ threads: 1 });
const twoThreads = createWasmSimdBackend({ threads: 2, minMultiplyAddsToSplit: 0 });

const bits = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));

describe('wasm-simd threads', () => {
  it('give the same bits with 1 and 2 threads as cpu, on random layers', () => {
    fc.assert(
      fc.property(
        fc.record({ tokens: fc.integer({ min: 1, max: 11 }), hidden: fc.integer({ min: 1, max: 24 }), intermediate: fc.integer({ min: 1, max: 30 }), numExperts: fc.integer({ min: 1, max: 6 }), shared: fc.integer({ min: 0, max: 9 }), seed: fc.nat() }),
        ({ tokens, hidden, intermediate, numExperts, shared, seed }) => {
          const config: MoEConfig = { hiddenSize: hidden, numExperts, expertIntermediateSize: intermediate, sharedExpertIntermediateSize: shared, router: { topK: Math.min(2, numExperts) } };
          const params = initMoEParams(config, seed);
          const x = randomNormal([tokens, hidden], { seed, name: 'inputs.x' });
          const reference = bits(moeForward(x, params, config, { backend: cpuBackend }).output.data);
          expect(bits(moeForward(x, params, config, { backend: oneThread }).output.data)).toEqual(reference);
          expect(bits(moeForward(x, params, config, { backend: twoThreads }).output.data)).toEqual(reference);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('start in a process whose eval code is an ES module (flags are not inherited by the worker)', () => {
    const script = `import('./src/index.ts').then((m) => {
      const b = m.createWasmSimdBackend({ threads: 2, minMultiplyAddsToSplit: 0 });
      const x = m.randomNormal([5, 7], { seed: 1, name: 'x' });
      const w = m.randomNormal([9, 7], { seed: 2, name: 'w' });
      const same = Buffer.from(b.readSync(b.linear(x, w)).data.buffer).equals(Buffer.from(m.linear(x, w, undefined, { backend: m.cpuBackend }).data.buffer));
      console.log(same ? 'same bits' : 'different bits');
      process.exit(0);
    })`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout.trim()).toBe('same bits');
  }, 60_000);
});
