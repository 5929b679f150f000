/**
 * Comparison of one actual tensor against its reference, with the statistics a report needs.
 *
 * Float32 tensors, element by element (flat row-major index i, multi-index for reports):
 *   - reference non-finite (NaN, ±Infinity): counted apart, as llm.c `validate_result` does; the
 *     actual must match it (NaN ↔ any NaN, +Inf ↔ +Inf, −Inf ↔ −Inf), else the comparison fails;
 *   - reference finite, actual non-finite: fails;
 *   - both finite: passes when |actual − reference| ≤ atol + rtol · |reference| (tolerance.ts);
 *     the worst element is the one with the largest ratio |actual − reference| / allowed.
 * Statistics over the elements where both are finite:
 *   - abs error |a − r|; rel error |a − r| / |r|, taken over r ≠ 0 only (at r = 0 the relative error
 *     is undefined; those elements are judged by the abs error and atol);
 *   - ULP distance: float32 bit patterns mapped to a monotone integer line (below), then |Δ|; its
 *     max, mean and a histogram with buckets 0, 1, 2–4, 5–16, 17–256, >256.
 *
 * The integer line: for the bit pattern b of a float32 read as a signed int32,
 *     line(b) = b                   when b ≥ 0 (+0, positive numbers, +Inf; ordered by value)
 *     line(b) = −(b & 0x7fffffff)   when b < 0 (−0 and negative numbers, mirrored)
 * so +0 and −0 both sit at 0, adjacent floats differ by 1 (across zero: ±smallest subnormal are 1
 * from 0, and across exponent boundaries), and the distance of a and b is |line(a) − line(b)|
 * (Bruce Dawson, "Comparing Floating Point Numbers, 2012 Edition"). NaN has no place on the line.
 *
 * Int32 tensors (expert indices, counts) must be equal element for element.
 *
 * JSON: `comparisonToJson` returns a copy in which every non-finite number is the string "NaN",
 * "Infinity" or "-Infinity" (JSON has no such numbers; JSON.stringify would write null), so that a
 * report can say that the reference held −Infinity. −0 is written as 0.
 */
import { checkFiniteNumber, describe, MoEOracleError } from '../tensor/errors.js';
import { checkTensor, contiguous, formatShape, unravelIndex, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { allowedError, type Tolerance } from './tolerance.js';

/** One element, for reports. */
export interface ElementReport {
  /** Multi-index in the tensor. */
  index: number[];
  reference: number;
  actual: number;
}

/** The element furthest beyond the tolerance, relative to what it allows. */
export interface WorstElement extends ElementReport {
  absError: number;
  /** atol + rtol · |reference| at this element. */
  allowed: number;
  ulpDistance: number;
}

/** ULP-distance histogram buckets: an element falls in the first bucket whose `max` it does not exceed. */
export const ULP_BUCKETS = [
  { label: '0', max: 0 },
  { label: '1', max: 1 },
  { label: '2-4', max: 4 },
  { label: '5-16', max: 16 },
  { label: '17-256', max: 256 },
  { label: '>256', max: Infinity },
] as const;

/** A bucket label: '0', '1', '2-4', '5-16', '17-256' or '>256'. */
export type UlpBucket = (typeof ULP_BUCKETS)[number]['label'];

/** ULP distances over the elements where reference and actual are both finite. */
export interface UlpStatistics {
  max: number;
  mean: number;
  histogram: Record<UlpBucket, number>;
}

/** The result of comparing two float32 tensors. */
export interface TensorComparison {
  kind: 'float32';
  name: string;
  passed: boolean;
  /** False when the shapes or element types differ, so no element was compared. */
  compared: boolean;
  /** Why it failed, one phrase each; empty when it passed. */
  reasons: string[];
  referenceShape: number[];
  actualShape: number[];
  /** Elements of the reference. */
  elementCount: number;
  tolerance: Tolerance;
  /** Over elements where both are finite. */
  maxAbsError: number;
  /** Over elements where both are finite and the reference is not 0. */
  maxRelError: number;
  ulp: UlpStatistics;
  /** Finite elements with |a − r| > atol + rtol·|r|. */
  beyondTolerance: number;
  /** The element with the largest |a − r| / allowed (ties: larger |a − r|), or null when none is beyond. */
  worst: WorstElement | null;
  /** Reference entries that are NaN or ±Infinity, how many the actual matched, the first it did not. */
  nonFiniteReference: { count: number; matched: number; firstMismatch: ElementReport | null };
  /** Actual entries that are NaN or ±Infinity where the reference is finite, and the first of them. */
  nonFiniteActual: { count: number; first: ElementReport | null };
}

/** The result of comparing two int32 tensors. */
export interface IntTensorComparison {
  kind: 'int32';
  name: string;
  passed: boolean;
  compared: boolean;
  reasons: string[];
  referenceShape: number[];
  actualShape: number[];
  elementCount: number;
  mismatchCount: number;
  firstMismatch: ElementReport | null;
}

/** Either comparison. */
export type Comparison = TensorComparison | IntTensorComparison;

// ---------------------------------------------------------------------------------------------
// ULP distance

/** Position of a float32 (its bit pattern as a signed int32) on the monotone integer line. */
export function float32LinePosition(bits: number): number {
  return bits < 0 ? -(bits & 0x7fffffff) : bits;
}

/** ULP distance of two non-NaN float32 bit patterns (read as signed int32). */
function ulpDistanceOfBits(a: number, b: number): number {
  return Math.abs(float32LinePosition(a) - float32LinePosition(b));
}

const scratchFloats = new Float32Array(2);
const scratchBits = new Int32Array(scratchFloats.buffer);

/**
 * ULP distance between a and b after rounding both to float32: the number of float32 values one
 * must step over to go from one to the other. 0 for +0 vs −0; NaN when either is NaN.
 */
export function ulpDistance(a: number, b: number): number {
  scratchFloats[0] = a;
  scratchFloats[1] = b;
  if (Number.isNaN(scratchFloats[0]) || Number.isNaN(scratchFloats[1])) return NaN;
  return ulpDistanceOfBits(scratchBits[0], scratchBits[1]);
}

function bitsOf(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

function emptyHistogram(): Record<UlpBucket, number> {
  return Object.fromEntries(ULP_BUCKETS.map((bucket) => [bucket.label, 0])) as Record<UlpBucket, number>;
}

function bucketOf(distance: number): UlpBucket {
  return ULP_BUCKETS.find((bucket) => distance <= bucket.max)!.label;
}

// ---------------------------------------------------------------------------------------------
// Comparisons

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new MoEOracleError('name', 'a string', describe(name));
}

function checkTolerance(tolerance: Tolerance): Tolerance {
  if (typeof tolerance !== 'object' || tolerance === null) throw new MoEOracleError('tolerance', 'an object {atol, rtol}', describe(tolerance));
  return { atol: checkFiniteNumber('tolerance.atol', tolerance.atol, 0), rtol: checkFiniteNumber('tolerance.rtol', tolerance.rtol, 0) };
}

/** A float32 comparison with no element compared yet: zero statistics, not passed. */
function blankComparison(name: string, reference: Tensor | IntTensor, actual: Tensor | IntTensor, tolerance: Tolerance, reasons: string[]): TensorComparison {
  return {
    kind: 'float32',
    name,
    passed: false,
    compared: false,
    reasons,
    referenceShape: [...reference.shape],
    actualShape: [...actual.shape],
    elementCount: reference.size,
    tolerance,
    maxAbsError: 0,
    maxRelError: 0,
    ulp: { max: 0, mean: 0, histogram: emptyHistogram() },
    beyondTolerance: 0,
    worst: null,
    nonFiniteReference: { count: 0, matched: 0, firstMismatch: null },
    nonFiniteActual: { count: 0, first: null },
  };
}

/** An int32 comparison with no element compared yet. */
function blankIntComparison(name: string, reference: IntTensor, actual: Tensor | IntTensor, reasons: string[]): IntTensorComparison {
  return {
    kind: 'int32',
    name,
    passed: false,
    compared: false,
    reasons,
    referenceShape: [...reference.shape],
    actualShape: [...actual.shape],
    elementCount: reference.size,
    mismatchCount: 0,
    firstMismatch: null,
  };
}

function shapeMismatch(reference: Tensor | IntTensor, actual: Tensor | IntTensor): string {
  return `shape mismatch: reference ${formatShape(reference.shape)}, actual ${formatShape(actual.shape)}`;
}

/** NaN matches any NaN; ±Infinity must match with its sign. */
function nonFiniteMatches(reference: number, actual: number): boolean {
  return Number.isNaN(reference) ? Number.isNaN(actual) : reference === actual;
}

/**
 * Compares `actual` with `reference` element by element (rules in the file comment). A shape
 * mismatch gives a failed comparison, not an exception.
 * @throws MoEOracleError only for arguments that are not float32 tensors or a bad tolerance.
 */
export function compareTensors(name: string, reference: Tensor, actual: Tensor, tolerance: Tolerance): TensorComparison {
  checkName(name);
  checkTensor('reference', reference);
  checkTensor('actual', actual);
  const tol = checkTolerance(tolerance);
  if (!sameShape(reference.shape, actual.shape)) return blankComparison(name, reference, actual, tol, [shapeMismatch(reference, actual)]);

  const shape = reference.shape;
  const ref = contiguous(reference).data;
  const act = contiguous(actual).data;
  const refBits = bitsOf(ref);
  const actBits = bitsOf(act);
  const element = (i: number): ElementReport => ({ index: unravelIndex(i, shape), reference: ref[i], actual: act[i] });

  const result = blankComparison(name, reference, actual, tol, []);
  result.compared = true;
  let ulpSum = 0;
  let finiteCount = 0;
  let worstIndex = -1;
  let worstRatio = 0;
  let worstAbsError = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i];
    const a = act[i];
    if (!Number.isFinite(r)) {
      result.nonFiniteReference.count++;
      if (nonFiniteMatches(r, a)) result.nonFiniteReference.matched++;
      else result.nonFiniteReference.firstMismatch ??= element(i);
      continue;
    }
    if (!Number.isFinite(a)) {
      result.nonFiniteActual.count++;
      result.nonFiniteActual.first ??= element(i);
      continue;
    }
    const absError = Math.abs(a - r);
    result.maxAbsError = Math.max(result.maxAbsError, absError);
    if (r !== 0) result.maxRelError = Math.max(result.maxRelError, absError / Math.abs(r));
    const ulps = ulpDistanceOfBits(refBits[i], actBits[i]);
    result.ulp.max = Math.max(result.ulp.max, ulps);
    result.ulp.histogram[bucketOf(ulps)]++;
    ulpSum += ulps;
    finiteCount++;
    const allowed = allowedError(r, tol);
    if (absError > allowed) {
      result.beyondTolerance++;
      const ratio = absError / allowed; // Infinity when nothing is allowed
      if (ratio > worstRatio || (ratio === worstRatio && absError > worstAbsError)) {
        worstRatio = ratio;
        worstAbsError = absError;
        worstIndex = i;
      }
    }
  }
  result.ulp.mean = finiteCount === 0 ? 0 : ulpSum / finiteCount;
  if (worstIndex >= 0) {
    const r = ref[worstIndex];
    const a = act[worstIndex];
    result.worst = {
      ...element(worstIndex),
      absError: Math.abs(a - r),
      allowed: allowedError(r, tol),
      ulpDistance: ulpDistanceOfBits(refBits[worstIndex], actBits[worstIndex]),
    };
  }

  const total = ref.length;
  const nonFiniteMismatches = result.nonFiniteReference.count - result.nonFiniteReference.matched;
  result.reasons = [
    result.beyondTolerance > 0 ? `${result.beyondTolerance} of ${total} elements beyond tolerance` : '',
    result.nonFiniteActual.count > 0 ? `${result.nonFiniteActual.count} non-finite actual values where the reference is finite` : '',
    nonFiniteMismatches > 0 ? `${nonFiniteMismatches} non-finite reference values not matched` : '',
  ].filter((reason) => reason !== '');
  result.passed = result.reasons.length === 0;
  return result;
}

/**
 * Compares two int32 tensors for exact equality. A shape mismatch gives a failed comparison.
 * @throws MoEOracleError only for arguments that are not int32 tensors.
 */
export function compareIntTensors(name: string, reference: IntTensor, actual: IntTensor): IntTensorComparison {
  checkName(name);
  checkTensor('reference', reference, 'int32');
  checkTensor('actual', actual, 'int32');
  if (!sameShape(reference.shape, actual.shape)) return blankIntComparison(name, reference, actual, [shapeMismatch(reference, actual)]);
  const result = blankIntComparison(name, reference, actual, []);
  result.compared = true;
  const ref = contiguous(reference).data;
  const act = contiguous(actual).data;
  for (let i = 0; i < ref.length; i++) {
    if (ref[i] === act[i]) continue;
    result.mismatchCount++;
    result.firstMismatch ??= { index: unravelIndex(i, reference.shape), reference: ref[i], actual: act[i] };
  }
  if (result.mismatchCount > 0) result.reasons.push(`${result.mismatchCount} of ${ref.length} elements differ`);
  result.passed = result.reasons.length === 0;
  return result;
}

/**
 * Compares tensors of either element type: float32 with `compareTensors`, int32 with
 * `compareIntTensors`. Different element types give a failed comparison (of the reference's kind).
 */
export function compareAnyTensors(name: string, reference: Tensor | IntTensor, actual: Tensor | IntTensor, tolerance: Tolerance): Comparison {
  const referenceIsInt = reference?.data instanceof Int32Array;
  const actualIsInt = actual?.data instanceof Int32Array;
  if (referenceIsInt !== actualIsInt && reference?.shape && actual?.shape) {
    const kindOf = (isInt: boolean) => (isInt ? 'int32' : 'float32');
    const reasons = [`dtype mismatch: reference ${kindOf(referenceIsInt)}, actual ${kindOf(actualIsInt)}`];
    return referenceIsInt
      ? blankIntComparison(name, reference as IntTensor, actual, reasons)
      : blankComparison(name, reference, actual, checkTolerance(tolerance), reasons);
  }
  return referenceIsInt
    ? compareIntTensors(name, reference as IntTensor, actual as IntTensor)
    : compareTensors(name, reference as Tensor, actual as Tensor, tolerance);
}

// ---------------------------------------------------------------------------------------------
// Reports

/** A float32 value with 9 significant digits: enough to identify it, short enough to read. */
function formatValue(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(9))) : String(value);
}

function formatError(value: number): string {
  return value.toExponential(2);
}

function formatElement(element: ElementReport): string {
  return `${formatShape(element.index)}: reference ${formatValue(element.reference)}, actual ${formatValue(element.actual)}`;
}

/** One human-readable line for a comparison: PASS/FAIL, name, shape, statistics, the worst element. */
export function formatComparison(comparison: Comparison): string {
  const c0 = comparison as Partial<Comparison> | null;
  if (typeof c0 !== 'object' || c0 === null || (c0.kind !== 'float32' && c0.kind !== 'int32') || !Array.isArray(c0.referenceShape) || !Array.isArray(c0.reasons)) {
    throw new MoEOracleError('comparison', 'a comparison from compareTensors / compareIntTensors / compareAnyTensors', describe(comparison));
  }
  const head = `${comparison.passed ? 'PASS' : 'FAIL'}  ${comparison.name}  ${formatShape(comparison.referenceShape)} ${comparison.kind}`;
  if (!comparison.compared) return `${head}  ${comparison.reasons.join('; ')}`;
  if (comparison.kind === 'int32') {
    const detail = comparison.firstMismatch ? `; first at ${formatElement(comparison.firstMismatch)}` : '';
    return `${head}  ${comparison.mismatchCount} of ${comparison.elementCount} elements differ${detail}`;
  }
  const c = comparison;
  const histogram = ULP_BUCKETS.map((bucket) => `${bucket.label}:${c.ulp.histogram[bucket.label]}`).join(' ');
  const parts = [
    `max |Δ| ${formatError(c.maxAbsError)}, max rel ${formatError(c.maxRelError)}`,
    `ulp max ${c.ulp.max} mean ${c.ulp.mean.toFixed(2)} (${histogram})`,
    `${c.beyondTolerance} of ${c.elementCount} beyond atol ${formatError(c.tolerance.atol)} + rtol ${formatError(c.tolerance.rtol)}·|ref|`,
  ];
  if (c.worst) {
    parts.push(`worst at ${formatElement(c.worst)}, |Δ| ${formatError(c.worst.absError)} > allowed ${formatError(c.worst.allowed)} (${c.worst.ulpDistance} ulp)`);
  }
  if (c.nonFiniteReference.count > 0) {
    const mismatch = c.nonFiniteReference.firstMismatch ? `, first unmatched at ${formatElement(c.nonFiniteReference.firstMismatch)}` : '';
    parts.push(`${c.nonFiniteReference.matched} of ${c.nonFiniteReference.count} non-finite reference values matched${mismatch}`);
  }
  if (c.nonFiniteActual.first) {
    parts.push(`${c.nonFiniteActual.count} non-finite actual values, first at ${formatElement(c.nonFiniteActual.first)}`);
  }
  return `${head}  ${parts.join('; ')}`;
}

/**
 * A JSON-ready deep copy of a comparison (or any value): non-finite numbers become the strings
 * "NaN", "Infinity", "-Infinity"; everything else is unchanged.
 */
export function comparisonToJson(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(comparisonToJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, comparisonToJson(item)]));
  }
  return value;
}
