// The default tolerance rtol = 4·(ε_dtype + √K·ε_accumulate), atol = max(rtol·magnitude, 2^-126) is wide enough
// for what rounding really does (another summation order, bf16 inputs) with room to spare, narrow
// enough to catch real errors (a 1 % scale error, a dropped term), and follows its formula.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareTensors } from '../../src/golden/compare.js';
import { COMPUTE_DTYPES, MACHINE_EPSILON, allowedError, defaultTolerance, overrideTolerance, referenceMagnitude, type Tolerance } from '../../src/golden/tolerance.js';
import { randomNormal } from '../../src/tensor/prng.js';
import { tensor, type Tensor } from '../../src/tensor/tensor.js';

const OUTPUTS = 256;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Rounds a float32 to bfloat16 (round to nearest, ties to even), as a bf16 backend stores inputs. */
function toBfloat16(value: number): number {
  scratch[0] = value;
  scratchBits[0] = (scratchBits[0] + 0x7fff + ((scratchBits[0] >>> 16) & 1)) & 0xffff0000;
  return scratch[0];
}

/** Sequential float32 sum of x_i·y_i, the way a plain CPU loop (and this oracle) computes it. */
function sequentialDot(x: Float32Array, y: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum = Math.fround(sum + Math.fround(x[i] * y[i]));
  return sum;
}

/** Pairwise (tree) float32 sum, the order of a GPU reduction. */
function pairwiseDot(x: Float32Array, y: Float32Array): number {
  if (x.length === 1) return Math.fround(x[0] * y[0]);
  const half = x.length >> 1;
  return Math.fround(pairwiseDot(x.subarray(0, half), y.subarray(0, half)) + pairwiseDot(x.subarray(half), y.subarray(half)));
}

const inputs = new Map<number, { x: Float32Array; y: Float32Array }>();

/** OUTPUTS dot products of length K of random normal vectors, computed by `dot` from inputs mapped by `input`. */
function dotProducts(K: number, dot: (x: Float32Array, y: Float32Array) => number, input?: (v: number) => number): Tensor {
  if (!inputs.has(K)) inputs.set(K, { x: randomNormal([OUTPUTS, K], { seed: 7, name: 'x' }).data, y: randomNormal([OUTPUTS, K], { seed: 7, name: 'y' }).data });
  const { x, y } = input ? { x: inputs.get(K)!.x.map(input), y: inputs.get(K)!.y.map(input) } : inputs.get(K)!;
  return tensor(
    Array.from({ length: OUTPUTS }, (_, n) => dot(x.subarray(n * K, (n + 1) * K), y.subarray(n * K, (n + 1) * K))),
    [OUTPUTS],
  );
}

/** Largest |actual − reference| / allowed: below 1 passes, below 0.5 passes with room to spare. */
function usedFraction(reference: Tensor, actual: Tensor, tol: Tolerance): number {
  return Math.max(...Array.from(reference.data, (r, i) => Math.abs(actual.data[i] - r) / allowedError(r, tol)));
}

describe('default tolerance against simulated backends', () => {
  for (const K of [16, 256, 4096]) {
    const reference = dotProducts(K, sequentialDot);
    const magnitude = referenceMagnitude(reference);
    const fp32 = defaultTolerance({ dtype: 'fp32', reductionLength: K, magnitude });
    const bf16 = defaultTolerance({ dtype: 'bf16', reductionLength: K, magnitude });

    it(`K = ${K}: fp32 in another summation order uses under half of the fp32 tolerance`, () => {
      const actual = dotProducts(K, pairwiseDot);
      expect(usedFraction(reference, actual, fp32)).toBeLessThan(0.5);
      expect(compareTensors('dot', reference, actual, fp32).passed).toBe(true);
    });

    it(`K = ${K}: bf16 inputs with fp32 accumulation pass the bf16 tolerance, not the fp32 one`, () => {
      const actual = dotProducts(K, pairwiseDot, toBfloat16);
      expect(usedFraction(reference, actual, bf16)).toBeLessThan(0.5);
      expect(compareTensors('dot', reference, actual, bf16).passed).toBe(true);
      expect(compareTensors('dot', reference, actual, fp32).passed).toBe(false);
    });

    it(`K = ${K}: a 1 % scale error and a dropped term fail the fp32 tolerance`, () => {
      const scaled = tensor(reference.data.map((v) => v * 1.01), [OUTPUTS]);
      expect(compareTensors('dot', reference, scaled, fp32).passed).toBe(false);
      const dropped = dotProducts(K, (x, y) => sequentialDot(x.subarray(1), y.subarray(1)));
      expect(compareTensors('dot', reference, dropped, fp32).passed).toBe(false);
    });
  }
});

describe('defaultTolerance', () => {
  it('follows rtol = 4·(ε_dtype + √K·ε_accumulate), atol = max(rtol·magnitude, 2^-126)', () => {
    expect(defaultTolerance({ dtype: 'fp32', reductionLength: 1 })).toMatchObject({ rtol: 8 * 2 ** -23, atol: 8 * 2 ** -23 });
    expect(defaultTolerance({ dtype: 'bf16', reductionLength: 4096, magnitude: 2 })).toMatchObject({
      rtol: 4 * (2 ** -7 + 64 * 2 ** -23),
      atol: 2 * 4 * (2 ** -7 + 64 * 2 ** -23),
    });
    expect(defaultTolerance({ dtype: 'bf16', reductionLength: 256, accumulate: 'bf16' }).rtol).toBe(4 * 17 * 2 ** -7);
    expect(defaultTolerance({ dtype: 'fp32', reductionLength: 1, magnitude: 0 }).atol).toBe(2 ** -126);
    expect(MACHINE_EPSILON).toEqual({ fp32: 2 ** -23, tf32: 2 ** -10, fp16: 2 ** -10, bf16: 2 ** -7 });
  });

  it('grows with K and with lower precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), fc.constantFrom(...COMPUTE_DTYPES), (k1, k2, dtype) => {
        const [small, large] = [Math.min(k1, k2), Math.max(k1, k2)];
        expect(defaultTolerance({ dtype, reductionLength: small }).rtol).toBeLessThanOrEqual(defaultTolerance({ dtype, reductionLength: large }).rtol);
        const ordered = COMPUTE_DTYPES.map((d) => defaultTolerance({ dtype: d, reductionLength: small }).rtol);
        expect([...ordered].sort((a, b) => a - b)).toEqual(ordered);
      }),
    );
  });

  it('explains itself', () => {
    expect(defaultTolerance({ dtype: 'bf16', reductionLength: 4096 }).explanation).toBe(
      'bf16 compute, fp32 accumulation, K = 4096: rtol = 4·(ε_bf16 + √K·ε_fp32) = 3.13e-2, atol = max(rtol·magnitude 1.00e+0, 2^-126) = 3.13e-2',
    );
  });

  it('lets user values replace the defaults', () => {
    const defaults = defaultTolerance({ dtype: 'fp32', reductionLength: 64 });
    expect(overrideTolerance(defaults, {})).toEqual(defaults);
    const replaced = overrideTolerance(defaults, { atol: 1e-3 });
    expect(replaced).toMatchObject({ atol: 1e-3, rtol: defaults.rtol });
    expect(replaced.explanation).toMatch(/replaced by the user: atol = 1.00e-3$/);
    expect(overrideTolerance(defaults, { atol: 0, rtol: 0 })).toMatchObject({ atol: 0, rtol: 0 });
  });

  it('rejects bad arguments with MoEOracleError', () => {
    expect(() => defaultTolerance({ dtype: 'fp8' as 'fp32', reductionLength: 1 })).toThrow(/dtype: expected one of "fp32", "tf32", "fp16", "bf16", got "fp8"/);
    expect(() => defaultTolerance({ dtype: 'fp32', reductionLength: 0 })).toThrow(/reductionLength: expected an integer >= 1, got 0/);
    expect(() => defaultTolerance({ dtype: 'fp32', reductionLength: 8, magnitude: -1 })).toThrow(/magnitude: expected a finite number in \[0, Infinity\]/);
    expect(() => overrideTolerance(defaultTolerance({ dtype: 'fp32', reductionLength: 1 }), { rtol: NaN })).toThrow(/rtol: expected a finite number/);
  });

  it('measures magnitude as the RMS of the finite reference entries', () => {
    expect(referenceMagnitude(tensor([3, -4, NaN, Infinity], [4]))).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(referenceMagnitude(tensor([NaN], [1]))).toBe(0);
  });
});
