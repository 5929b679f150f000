// Philox4x32-10 must match the published known-answer vectors of Random123 (kat_vectors), so that
// any other Philox implementation (cuRAND, PyTorch, JAX, Random123 itself) reproduces our tensors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { philox4x32, fnv1a32, randomUniform, randomNormal, uniformAt, normalAt } from '../../src/tensor/prng.js';

const hex = (words: Uint32Array) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    expect(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toBe(
      '408f276d 41c83b0e a20bc7c6 6d5451fd',
    );
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe(
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    );
  });

  it('hashes names with FNV-1a-32 (published test values)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

describe('named random tensors', () => {
  it('produce any element on its own, equal to the element of the whole tensor', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (seed, name, n) => {
        const u = randomUniform([n], { seed, name, low: -2, high: 3 });
        const z = randomNormal([n], { seed, name, mean: 1, std: 0.5 });
        for (let i = n - 1; i >= 0; i--) {
          expect(uniformAt(seed, name, i, -2, 3)).toBe(u.data[i]);
          expect(normalAt(seed, name, i, 1, 0.5)).toBe(z.data[i]);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('draw uniforms inside [low, high) and normals with the right moments', () => {
    const u = randomUniform([20000], { seed: 7, name: 'u', low: -1, high: 1 });
    const z = randomNormal([20000], { seed: 7, name: 'z' });
    let uMin = Infinity, uMax = -Infinity, zSum = 0, zSq = 0;
    for (const v of u.data) { uMin = Math.min(uMin, v); uMax = Math.max(uMax, v); }
    for (const v of z.data) { zSum += v; zSq += v * v; }
    expect(uMin).toBeGreaterThanOrEqual(-1);
    expect(uMax).toBeLessThan(1);
    expect(Math.abs(zSum / 20000)).toBeLessThan(0.05);
    expect(Math.abs(zSq / 20000 - 1)).toBeLessThan(0.05);
  });

  it('give different streams to different names and seeds', () => {
    const a = randomUniform([8], { seed: 1, name: 'experts.0.w1.weight' }).data;
    const b = randomUniform([8], { seed: 1, name: 'experts.1.w1.weight' }).data;
    const c = randomUniform([8], { seed: 2, name: 'experts.0.w1.weight' }).data;
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});
