// Every fast `linear` kernel (the cpu backend's register-tiled loop, and every other backend listed as
// bit-identical to cpu) must give exactly the bits of the naive loop, `linearNaiveCpu`, the readable
// specification: one float64 sum per output over i in increasing order, rounded once. Shapes are random
// with ragged edges (token counts and output counts that are not multiples of the tile sizes), and the
// values span many binary exponents, so any change in the order or precision of the additions changes
// some output bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKENDS, tensor, type Tensor } from '../../src/index.js';
import { linearCpu, linearNaiveCpu } from '../../src/backends/cpu/linear.js';

/** Random float32 values with exponents between 2^-20 and 2^20 (both signs), from a fast-check seed. */
function spreadValues(count: number, seed: number): number[] {
  let state = seed >>> 0 || 1;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0), state / 4294967296);
  return Array.from({ length: count }, () => (next() - 0.5) * 2 ** Math.floor(next() * 40 - 20));
}

const shapes = fc.record({
  tokens: fc.integer({ min: 1, max: 13 }),
  inFeatures: fc.integer({ min: 1, max: 40 }),
  outFeatures: fc.integer({ min: 1, max: 11 }),
  withBias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
});

function sameBits(actual: Tensor, expected: Tensor): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = new Uint32Array(actual.data.buffer, actual.data.byteOffset, actual.data.length);
  const b = new Uint32Array(expected.data.buffer, expected.data.byteOffset, expected.data.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`element ${i}: ${actual.data[i]} vs ${expected.data[i]}`);
}

const kernels = await Promise.all(BACKENDS.filter((entry) => entry.bitIdenticalToCpu).map(async (entry) => ({ name: entry.name, kernels: await entry.create() })));
const candidates: { name: string; linear: (x: Tensor, w: Tensor, b?: Tensor) => Tensor }[] = [
  { name: 'cpu tiled loop (linearCpu)', linear: linearCpu },
  ...kernels.filter((k) => k.kernels.synchronous).map((k) => ({ name: `${k.name} backend`, linear: (x: Tensor, w: Tensor, b?: Tensor) => k.kernels.readSync(k.kernels.linear(k.kernels.upload(x), k.kernels.upload(w), b === undefined ? undefined : k.kernels.upload(b))) })),
];

describe.each(candidates)('$name', ({ linear }) => {
  it('gives the bits of the naive loop on random shapes with ragged edges', () => {
    fc.assert(
      fc.property(shapes, ({ tokens, inFeatures, outFeatures, withBias, seed }) => {
        const x = tensor(spreadValues(tokens * inFeatures, seed), [tokens, inFeatures]);
        const w = tensor(spreadValues(outFeatures * inFeatures, seed + 1), [outFeatures, inFeatures]);
        const b = withBias ? tensor(spreadValues(outFeatures, seed + 2), [outFeatures]) : undefined;
        sameBits(linear(x, w, b), linearNaiveCpu(x, w, b));
      }),
      { numRuns: 200 },
    );
  });

  it('gives the bits of the naive loop at a real width (T = 9, in = 1000, out = 37)', () => {
    const x = tensor(spreadValues(9 * 1000, 7), [9, 1000]);
    const w = tensor(spreadValues(37 * 1000, 8), [37, 1000]);
    sameBits(linear(x, w), linearNaiveCpu(x, w));
  });
});
