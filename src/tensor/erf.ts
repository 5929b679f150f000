/**
 * erf and erfc in float64, accurate to a few float64 ulps (checked against Python's `math.erf` /
 * `math.erfc` in spec/tensor), because JavaScript's Math has no erf.
 *
 *   |x| ≤ 2:  erf(x) = 2/√π · Σₙ (−1)ⁿ x^(2n+1) / (n! · (2n+1))          (Maclaurin series)
 *   x > 2:    erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
 *             (Laplace's continued fraction, evaluated with the modified Lentz algorithm)
 *
 * erf(x) = 1 − erfc(x) for x > 2; odd symmetry for x < 0; erfc(x) = 2 − erfc(−x) for x < 0.
 * erfc keeps full relative precision in the tail (erfc(10) ≈ 2.1e−45), which GELU's left tail needs.
 */
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SERIES_LIMIT = 2;

function erfSeries(x: number): number {
  const x2 = x * x;
  let power = x; // (−1)ⁿ x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    power *= -x2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

function erfcContinuedFraction(x: number): number {
  // erfc(x) = e^(−x²)/√π · f,  f = 1/(x + a₁/(x + a₂/(x + …))),  aₙ = n/2.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (Math.exp(-x * x) * ONE_OVER_SQRT_PI) / f;
}

/** Complementary error function 1 − erf(x), float64. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x <= SERIES_LIMIT) return 1 - erfSeries(x);
  if (x > 27.3) return 0; // below the smallest float64 subnormal
  return erfcContinuedFraction(x);
}

/** Error function, float64. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return -erf(-x);
  if (x <= SERIES_LIMIT) return erfSeries(x);
  return 1 - erfcContinuedFraction(Math.min(x, 27.3));
}
