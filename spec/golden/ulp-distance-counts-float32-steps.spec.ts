// The ULP distance counts the float32 values between two numbers: symmetric, 0 exactly for equal
// bits (and for +0 vs −0), 1 between neighbours — across zero and across exponent boundaries — and
// additive along the number line.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ulpDistance } from '../../src/golden/compare.js';
import { float32Bits, float32FromBits } from './raw-safetensors.js';

const valueOf = (bits: number) => float32FromBits([bits])[0];
const nonNaNBits = float32Bits.filter((bits) => !Number.isNaN(valueOf(bits)));

/**
 * The next float32 above x, from the IEEE encoding alone: positive magnitudes grow with their bit
 * pattern, negative ones shrink toward −0, and +0/−0 are followed by the smallest subnormal.
 */
function nextUp(bits: number): number {
  if ((bits & 0x7fffffff) === 0) return 0x00000001;
  return bits >>> 31 === 0 ? bits + 1 : bits - 1;
}

describe('ulpDistance', () => {
  it('is symmetric', () => {
    fc.assert(fc.property(nonNaNBits, nonNaNBits, (a, b) => ulpDistance(valueOf(a), valueOf(b)) === ulpDistance(valueOf(b), valueOf(a))));
  });

  it('is 0 exactly when the bits are equal, or for +0 and −0', () => {
    fc.assert(
      fc.property(nonNaNBits, nonNaNBits, (a, b) => {
        const bothZero = (a & 0x7fffffff) === 0 && (b & 0x7fffffff) === 0;
        expect(ulpDistance(valueOf(a), valueOf(b)) === 0).toBe(a === b || bothZero);
      }),
    );
    expect(ulpDistance(0, -0)).toBe(0);
  });

  it('is 1 between a float32 and the next one up', () => {
    fc.assert(
      fc.property(nonNaNBits.filter((bits) => bits !== 0x7f800000), (bits) => {
        const up = nextUp(bits);
        expect(valueOf(up)).toBeGreaterThan(valueOf(bits));
        expect(ulpDistance(valueOf(bits), valueOf(up))).toBe(1);
      }),
    );
  });

  it('counts steps across zero and across exponent boundaries', () => {
    const smallestSubnormal = 2 ** -149;
    expect(ulpDistance(0, smallestSubnormal)).toBe(1);
    expect(ulpDistance(-0, smallestSubnormal)).toBe(1);
    expect(ulpDistance(-smallestSubnormal, smallestSubnormal)).toBe(2);
    expect(ulpDistance(1, 1 - 2 ** -24)).toBe(1); // the float below 1 has the smaller exponent
    expect(ulpDistance(2 ** -126, 2 ** -126 - smallestSubnormal)).toBe(1); // smallest normal vs largest subnormal
    expect(ulpDistance(3.4028234663852886e38, Infinity)).toBe(1);
    expect(ulpDistance(-3.4028234663852886e38, -Infinity)).toBe(1);
    expect(ulpDistance(1, 2)).toBe(2 ** 23);
    expect(ulpDistance(-Infinity, Infinity)).toBe(2 * 0x7f800000);
  });

  it('adds up along the number line: d(a, c) = d(a, b) + d(b, c) for a ≤ b ≤ c', () => {
    fc.assert(
      fc.property(nonNaNBits, nonNaNBits, nonNaNBits, (x, y, z) => {
        const [a, b, c] = [valueOf(x), valueOf(y), valueOf(z)].sort((p, q) => p - q);
        expect(ulpDistance(a, c)).toBe(ulpDistance(a, b) + ulpDistance(b, c));
      }),
    );
  });

  it('is NaN when either side is NaN', () => {
    expect(ulpDistance(NaN, 1)).toBeNaN();
    expect(ulpDistance(1, NaN)).toBeNaN();
  });
});
