/**
 * Verifying a backend's outputs against a golden case (or any file written by `moe-oracle run`).
 *
 * 1. Routing (components that choose experts), per token, as a set: the backend's experts must be
 *    the reference's, except on a near-tie: when the reference's margin at the k-th boundary is
 *    below twice the score tolerance (either side may err by one tolerance), a different set is
 *    accepted and the token is listed.
 * 2. Replay: if the backend's indices differ from the reference's at all (another set on a near-tie,
 *    or the same set in another order), the reference is re-run with the backend's indices as a
 *    routing override (Megatron's router replay), and every output is compared with that replay.
 *    So a near-tie flip is checked, not waved through.
 * 3. Every other output the backend provides is compared element-wise with the tolerance model
 *    (tolerance.ts): |actual − reference| ≤ atol + rtol·|reference| with defaults from the compute
 *    dtype and the reduction length K stored in the case's metadata, or the user's --atol / --rtol.
 *    int32 outputs (tokens per expert) must match exactly. Non-finite references are counted apart.
 *
 * The first output of the component (y, logits, values, probs, sigmoid) is required; the others are
 * checked when the backend provides them and listed as unchecked otherwise.
 */
import { checkInteger, MoEOracleError } from '../tensor/errors.js';
import { contiguous, formatShape, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { tensorsUnder } from './case.js';
import { compareAnyTensors, type Comparison } from './compare.js';
import { getComponent, routingOutputsOf } from './components.js';
import { requireIntTensor, type SafetensorsFile } from './safetensors.js';
import { allowedError, defaultTolerance, overrideTolerance, referenceMagnitude, type ComputeDtype, type ExplainedTolerance } from './tolerance.js';

/** Options of a verification. */
export interface VerifyOptions {
  /**
   * The dtype the backend computes in. Default: inferred from how the backend stored its outputs
   * (any BF16 output → 'bf16', else any F16 → 'fp16', else 'fp32').
   */
  dtype?: ComputeDtype;
  /** Replace the default atol / rtol of every output. */
  atol?: number;
  rtol?: number;
}

/** One token whose expert set differs from the reference's. */
export interface RoutingDifference {
  token: number;
  reference: number[];
  actual: number[];
  /** The reference's k-th minus (k+1)-th selection score. */
  margin: number;
  /** Below this margin a different set is accepted. */
  threshold: number;
}

/** The routing part of a report. */
export interface RoutingReport {
  tokens: number;
  /** Tokens whose sets differ but whose margin is below the threshold: accepted. */
  nearTies: RoutingDifference[];
  /** Tokens whose sets differ with a margin above the threshold: failures. */
  mismatches: RoutingDifference[];
  /** Whether the outputs were compared with the reference replayed on the backend's routing. */
  replayed: boolean;
}

/** The result of `verify`. */
export interface VerifyReport {
  passed: boolean;
  /** The compute dtype the tolerances assume (given, or inferred from the stored dtypes). */
  dtype: ComputeDtype;
  case: string;
  component: string;
  routing: RoutingReport | null;
  comparisons: Array<Comparison & { toleranceExplanation?: string }>;
  /** Reference outputs the backend did not provide. */
  unchecked: string[];
}

function rowsOf(t: IntTensor, row: number): number[] {
  const k = t.shape[1];
  return Array.from(contiguous(t).data.slice(row * k, (row + 1) * k));
}

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((e) => b.includes(e));
}

/** The compute dtype suggested by the dtypes a backend stored its outputs in. */
export function inferComputeDtype(actual: SafetensorsFile): ComputeDtype {
  const stored = Object.entries(actual.dtypes ?? {}).filter(([name]) => name.startsWith('outputs.')).map(([, dtype]) => dtype);
  if (stored.includes('BF16')) return 'bf16';
  if (stored.includes('F16')) return 'fp16';
  return 'fp32';
}

/** Reads the case's metadata: component, parsed config, stored reduction lengths. */
export function readCaseMetadata(file: SafetensorsFile, argument = 'golden') {
  const metadata = file.metadata;
  if (metadata.component === undefined || metadata.config === undefined) {
    throw new MoEOracleError(`${argument} __metadata__`, 'a moe-oracle case (keys "component" and "config")', `keys ${JSON.stringify(Object.keys(metadata))}`);
  }
  const component = getComponent(metadata.component);
  let configJson: unknown;
  let tolerances: Record<string, { reduction_length: number }> = {};
  try {
    configJson = JSON.parse(metadata.config);
    tolerances = metadata.tolerances ? JSON.parse(metadata.tolerances) : {};
  } catch (error) {
    throw new MoEOracleError(`${argument} __metadata__.config`, 'valid JSON', (error as Error).message);
  }
  return { component, config: component.parseConfig(configJson), tolerances, caseName: metadata.case ?? '(unnamed)' };
}

/** Verifies `actual` against `golden`. Throws MoEOracleError (exit 2) for unusable files. */
export function verify(golden: SafetensorsFile, actual: SafetensorsFile, options: VerifyOptions = {}): VerifyReport {
  const { component, config, tolerances, caseName } = readCaseMetadata(golden);
  const dtype = options.dtype ?? inferComputeDtype(actual);
  let reference = tensorsUnder(golden.tensors, 'outputs.');
  const outputNames = Object.keys(reference);
  if (outputNames.length === 0) throw new MoEOracleError('golden', 'a case with outputs.* tensors', 'none');
  const actualOutputs = tensorsUnder(actual.tensors, 'outputs.');
  const primaryName = ['y', 'logits', 'values', 'probs', 'sigmoid'].find((n) => n in reference) ?? outputNames[0];
  if (!(primaryName in actualOutputs)) {
    throw new MoEOracleError(`actual tensor "outputs.${primaryName}"`, `the ${component.name} output (the file holds: ${Object.keys(actual.tensors).join(', ') || 'nothing'})`, 'no such tensor');
  }
  for (const name of outputNames) {
    const a = actualOutputs[name];
    const r = reference[name];
    if (a && (a.shape.length !== r.shape.length || a.shape.some((d, i) => d !== r.shape[i]))) {
      throw new MoEOracleError(`actual tensor "outputs.${name}"`, `shape ${formatShape(r.shape)}`, formatShape(a.shape));
    }
  }

  const routingOutputs = routingOutputsOf(component, config);
  const overrides = { atol: options.atol, rtol: options.rtol };
  const toleranceOf = (name: string, ref: Tensor): ExplainedTolerance => {
    if (routingOutputs && name === routingOutputs.margins) return overrideTolerance(marginTolerance(), overrides);
    const reductionLength = checkInteger(`tolerances.${name}.reduction_length`, tolerances[name]?.reduction_length ?? 1, 1);
    return overrideTolerance(defaultTolerance({ dtype, reductionLength, magnitude: referenceMagnitude(ref) }), overrides);
  };
  // A margin is the difference of two scores, each within the score tolerance: its error is judged
  // on the scale of the scores, not of the (possibly tiny) margins themselves.
  const marginTolerance = (): ExplainedTolerance => {
    const scoresName = routingOutputs!.scores;
    const scores = reference[scoresName] as Tensor;
    const scoreTolerance = toleranceOf(scoresName, scores);
    let largest = 0;
    for (const v of contiguous(scores).data) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    const atol = 2 * allowedError(largest, scoreTolerance);
    return { atol, rtol: 0, explanation: `margins: 2·(tolerance of ${scoresName} at its largest value ${largest.toPrecision(3)}) = ${atol.toPrecision(3)}` };
  };

  // 1–2. Routing as sets per token; replay on any difference.
  let routing: RoutingReport | null = null;
  if (routingOutputs && routingOutputs.indices in actualOutputs) {
    const refIndices = requireIntTensor({ tensors: reference }, routingOutputs.indices);
    const actIndices = requireIntTensor({ tensors: actualOutputs }, routingOutputs.indices, refIndices.shape);
    const margins = contiguous(reference[routingOutputs.margins] as Tensor).data;
    const scores = reference[routingOutputs.scores] as Tensor;
    const scoreTolerance = toleranceOf(routingOutputs.scores, scores);
    const [tokens] = refIndices.shape;
    routing = { tokens, nearTies: [], mismatches: [], replayed: false };
    let anyDifference = false;
    for (let t = 0; t < tokens; t++) {
      const r = rowsOf(refIndices, t);
      const a = rowsOf(actIndices, t);
      if (r.some((e, j) => e !== a[j])) anyDifference = true;
      if (sameSet(r, a)) continue;
      // The score scale at the boundary: the k-th chosen expert's score (scores [T, N] or values [T, k]).
      const scoreData = contiguous(scores).data;
      const kth = scores.shape[1] === r.length ? scoreData[t * r.length + r.length - 1] : scoreData[t * scores.shape[1] + r[r.length - 1]];
      const threshold = 2 * allowedError(kth, scoreTolerance);
      const difference = { token: t, reference: r, actual: a, margin: margins[t], threshold };
      (margins[t] < threshold ? routing.nearTies : routing.mismatches).push(difference);
    }
    if (anyDifference) {
      const inputs = tensorsUnder(golden.tensors, 'inputs.');
      const params = tensorsUnder(golden.tensors, 'params.') as Record<string, Tensor>;
      try {
        reference = component.run(config, inputs, params, actIndices);
        routing.replayed = true;
      } catch (error) {
        if (!(error instanceof MoEOracleError)) throw error;
        throw new MoEOracleError(`actual ${routingOutputs.indices}`, 'indices the reference can replay', error.message);
      }
    }
  }

  // 3. Element-wise comparisons.
  const comparisons: VerifyReport['comparisons'] = [];
  const unchecked: string[] = [];
  for (const name of outputNames) {
    const act = actualOutputs[name];
    if (act === undefined) {
      unchecked.push(name);
      continue;
    }
    if (routing && name === routingOutputs?.indices) continue; // judged as sets above
    const ref = reference[name];
    const tolerance = ref.data instanceof Float32Array ? toleranceOf(name, ref as Tensor) : { atol: 0, rtol: 0, explanation: 'exact' };
    comparisons.push({ ...compareAnyTensors(name, ref, act, tolerance), toleranceExplanation: tolerance.explanation });
  }
  const passed = comparisons.every((c) => c.passed) && (routing === null || routing.mismatches.length === 0);
  return { passed, dtype, case: caseName, component: component.name, routing, comparisons, unchecked };
}
