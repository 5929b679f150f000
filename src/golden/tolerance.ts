/**
 * Default tolerances for comparing a backend's output with the reference, derived from a rounding-
 * error model instead of guessed.
 *
 * Pass rule per element (llm.c `dev/cuda/common.h` `validate_result`; also `numpy.isclose`):
 *
 *     |actual − reference| ≤ atol + rtol · |reference|
 *
 * llm.c uses rtol = ε, FLT_EPSILON for fp32 and 0.079 (≈ 10 · 2^-7) for bf16, plus a per-kernel atol,
 * and checks non-finite reference entries apart (see compare.ts). Here rtol and atol follow from the
 * dtype the backend computes in and the length K of the reduction that produced the tensor:
 *
 *     ε_d   = machine epsilon of dtype d = 2^(1−p), p = significand bits including the hidden bit:
 *             fp32 2^-23 (= FLT_EPSILON), tf32 2^-10, fp16 2^-10, bf16 2^-7.
 *             This is Higham's ε_M = 2u (u = 2^-p, the unit roundoff of round-to-nearest): the
 *             difference of two computations carries the rounding errors of both, so 2u per side.
 *     rtol  = λ · (ε_dtype + √K · ε_accumulate),   λ = 4
 *     atol  = max(rtol · magnitude, 2^-126)
 *
 * The two terms:
 *   - ε_dtype: rounding inputs and output to the compute dtype (a bf16 backend rounds the fp32 golden
 *     inputs, computes, and rounds its result): a few u, independent of K.
 *   - √K · ε_accumulate: accumulating K terms in the accumulator dtype (fp32 by default: tensor-core
 *     GEMMs and llm.c accumulate bf16/fp16 products in fp32; TF32 mode is dtype 'tf32', fp32 sums).
 *     The worst-case bound (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1) is
 *     |ŝ − s| ≤ γ_K · Σ|x_i·y_i| with γ_K = K·u / (1 − K·u). It grows like K and is attained only by
 *     adversarial data; for bf16 it is meaningless from K = 256 on (K·u ≥ 1). Modeling rounding errors
 *     as independent zero-mean random variables, Higham & Mary, "A new approach to probabilistic
 *     rounding error analysis", SIAM J. Sci. Comput. 41(5), 2019, replace γ_K by
 *     γ̃_K(λ) = exp(λ√K·u + K·u²/(1−u)) − 1 ≈ λ·√K·u, holding with high probability; Ipsen & Zhou,
 *     "Probabilistic error analysis for inner products" (arXiv:1906.10465) reach the same √K. We
 *     use the probabilistic √K law: it is what blocked, pairwise, split-K and tensor-core sums
 *     actually show, and it keeps fp32 tolerances tight enough (rtol 3.1e-5 at K = 4096, where
 *     2·γ_K = 4.9e-4) to catch a wrong scale, a dropped expert or a bf16 rounding hidden in an
 *     "fp32" backend.
 *
 * Scale (atol): the bound is relative to Σ|x_i·y_i|. When all terms share a sign (softmax sums,
 * gate-weighted sums of positive weights) that is |s| itself, covered by rtol·|reference|. For
 * zero-mean terms (matmuls with random weights) recursive summation errs by about
 * √K·u/√6 · rms(s) (partial sums grow like √j), so the error scales with the typical output size,
 * not with each element: `magnitude` is that size (`referenceMagnitude` = RMS of the reference;
 * default 1, the scale of normalized activations), and atol = rtol · magnitude keeps elements that
 * cancel to near zero from failing on relative error. atol is at least 2^-126 (FLT_MIN, the smallest
 * normal float32): GPUs flush subnormal results to zero (CUDA `-ftz=true`, on with fast math), so
 * differences below it carry no information, even in a tensor of zeros.
 *
 * λ = 4 is a modeling choice: the unit √K·ε = 2√K·u is already ≈ 5 standard deviations of the
 * recursive-summation error above, so λ = 4 sets the limit about 20 standard deviations out (a correct
 * million-element tensor passes), measured in spec/golden/tolerance-*.spec.ts: float32 and bf16-input
 * dot products in another summation order use under half of the tolerance. For comparison,
 * `torch.testing.assert_close` defaults to rtol 1.3e-6 (fp32), 1e-3 (fp16), 1.6e-2 (bf16).
 *
 * Chains of operations: independent stage errors add in quadrature, so for a tensor produced by
 * several reductions in sequence (expert up-projection K₁ = d_model, down-projection K₂ = d_ff, the
 * top-k combination K₃ = k) pass K = K₁ + K₂ + K₃: √(K₁ + K₂ + K₃) is the quadrature sum of the √K_i.
 *
 * User overrides (`--atol`, `--rtol`) replace the corresponding default, not add to it.
 */
import { checkFiniteNumber, checkInteger, checkOneOf, describe, MoEOracleError } from '../tensor/errors.js';
import { checkTensor, contiguous, type Tensor } from '../tensor/tensor.js';

/** Arithmetic a backend computes in. */
export type ComputeDtype = 'fp32' | 'tf32' | 'fp16' | 'bf16';

/** The dtypes, in order of decreasing precision. */
export const COMPUTE_DTYPES: readonly ComputeDtype[] = ['fp32', 'tf32', 'fp16', 'bf16'];

/** Machine epsilon 2^(1−p) of each dtype (distance from 1 to the next larger number). */
export const MACHINE_EPSILON: Readonly<Record<ComputeDtype, number>> = {
  fp32: 2 ** -23,
  tf32: 2 ** -10,
  fp16: 2 ** -10,
  bf16: 2 ** -7,
};

/** λ, the number of "probabilistic bound units" allowed (see the file comment). */
export const SAFETY_FACTOR = 4;

/** The smallest atol a default tolerance has: FLT_MIN = 2^-126, below which GPUs flush to zero. */
export const MIN_ATOL = 2 ** -126;

/** The two numbers of the pass rule |actual − reference| ≤ atol + rtol · |reference|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** A tolerance with one line saying where it came from, for reports. */
export interface ExplainedTolerance extends Tolerance {
  explanation: string;
}

/** What the default tolerance depends on. */
export interface ToleranceOptions {
  /** The dtype the backend computes in (its inputs and outputs are rounded to it). */
  dtype: ComputeDtype;
  /** K, the number of terms of the reduction that produced the tensor (sum them along a chain); ≥ 1. */
  reductionLength: number;
  /** The accumulator dtype; default fp32 (fp32 accumulation of low-precision products). */
  accumulate?: ComputeDtype;
  /** Typical size of the output, e.g. `referenceMagnitude(reference)`; default 1. */
  magnitude?: number;
}

/** Short number format for explanations: 3 significant digits, exponent form (3.13e-2). */
function short(value: number): string {
  return value.toExponential(2);
}

/**
 * The default tolerance: rtol = λ · (ε_dtype + √K · ε_accumulate), atol = max(rtol · magnitude, 2^-126), λ = 4.
 * @throws MoEOracleError for an unknown dtype, K < 1 or a negative magnitude.
 */
export function defaultTolerance(options: ToleranceOptions): ExplainedTolerance {
  const dtype = checkOneOf('dtype', options?.dtype, COMPUTE_DTYPES);
  const accumulate = checkOneOf('accumulate', options.accumulate ?? 'fp32', COMPUTE_DTYPES);
  const reductionLength = checkInteger('reductionLength', options.reductionLength, 1);
  const magnitude = checkFiniteNumber('magnitude', options.magnitude ?? 1, 0);

  const rtol = SAFETY_FACTOR * (MACHINE_EPSILON[dtype] + Math.sqrt(reductionLength) * MACHINE_EPSILON[accumulate]);
  const atol = Math.max(rtol * magnitude, MIN_ATOL);
  const explanation =
    `${dtype} compute, ${accumulate} accumulation, K = ${reductionLength}: ` +
    `rtol = ${SAFETY_FACTOR}·(ε_${dtype} + √K·ε_${accumulate}) = ${short(rtol)}, ` +
    `atol = max(rtol·magnitude ${short(magnitude)}, 2^-126) = ${short(atol)}`;
  return { atol, rtol, explanation };
}

/**
 * Replaces the default atol and/or rtol by user-given values (`--atol`, `--rtol`); the explanation
 * says which were replaced.
 * @throws MoEOracleError for a negative or non-finite override.
 */
export function overrideTolerance(defaults: ExplainedTolerance, overrides: Partial<Tolerance>): ExplainedTolerance {
  checkToleranceObject('defaults', defaults);
  if (typeof overrides !== 'object' || overrides === null) throw new MoEOracleError('overrides', 'an object {atol?, rtol?}', describe(overrides));
  const atol = overrides.atol === undefined ? defaults.atol : checkFiniteNumber('atol', overrides.atol, 0);
  const rtol = overrides.rtol === undefined ? defaults.rtol : checkFiniteNumber('rtol', overrides.rtol, 0);
  const replaced = (['atol', 'rtol'] as const).filter((key) => overrides[key] !== undefined);
  const explanation =
    replaced.length === 0
      ? defaults.explanation
      : `${defaults.explanation}; replaced by the user: ${replaced.map((key) => `${key} = ${short(key === 'atol' ? atol : rtol)}`).join(', ')}`;
  return { atol, rtol, explanation };
}

/** Throws unless `value` is {atol, rtol} with non-negative numbers. */
function checkToleranceObject(argument: string, value: unknown): asserts value is Tolerance {
  const t = value as Tolerance;
  if (typeof value !== 'object' || value === null || !(t.atol >= 0) || !(t.rtol >= 0)) throw new MoEOracleError(argument, 'a tolerance {atol, rtol} of non-negative numbers', describe(value));
}

/** The largest |actual − reference| the pass rule allows at a reference value. */
export function allowedError(reference: number, tolerance: Tolerance): number {
  if (typeof reference !== 'number') throw new MoEOracleError('reference', 'a number', describe(reference));
  checkToleranceObject('tolerance', tolerance);
  return tolerance.atol + tolerance.rtol * Math.abs(reference);
}

/** Root mean square of the finite entries of a tensor (0 when there are none): its typical size. */
export function referenceMagnitude(reference: Tensor): number {
  checkTensor('reference', reference);
  let sumOfSquares = 0;
  let count = 0;
  for (const value of contiguous(reference).data) {
    if (!Number.isFinite(value)) continue;
    sumOfSquares += value * value;
    count++;
  }
  return count === 0 ? 0 : Math.sqrt(sumOfSquares / count);
}
