/**
 * Verifying a backend's outputs against a golden case (or any file written by `moe-oracle run`).
 *
 * 1. Routing (components that choose experts), per token, as a set: the backend's experts must be
 *    the reference's, except on a near-tie: when the reference's margin at the k-th boundary is
 *    below twice the score tolerance (either side may err by one tolerance), and every expert in one
 *    set and not the other has a selection score within that threshold of the k-th selection score
 *    (the swap happens at the boundary), a different set is accepted and the token is listed.
 * 2. Replay: if the backend's indices differ from the reference's at all (another set on a near-tie,
 *    or the same set in another order), the reference is re-run with the backend's indices as a
 *    routing override (Megatron's router replay), and every output is compared with that replay.
 *    So a near-tie flip is checked, not waved through.
 * 3. Every other output the backend provides is compared element-wise with the tolerance model
 *    (tolerance.ts): |actual − reference| ≤ atol + rtol·|reference| with defaults from the compute
 *    dtype and the reduction length K stored in the case's metadata, or the user's --atol / --rtol.
 *    int32 outputs (tokens per expert) must match exactly. Non-finite references are counted apart.
 *
 * Completeness, so that nothing passes unseen (the component declares its outputs, components.ts):
 *   - every output the component produces for the case's config must be in the golden file; a golden
 *     file lacking one is incomplete (damaged) and fails, with nothing compared;
 *   - the main output (the first: y, logits, values, probs, sigmoid) must be in the backend's file, or
 *     verification fails; the others are compared when provided and listed as unchecked otherwise;
 *   - a backend output the golden file lacks is listed (`extra`), never dropped silently.
 * A golden reference holding NaN or ±Infinity (+Infinity margins excepted: k = N) while every input
 * and parameter of the case is finite is a reference overflow, and fails: the backend is not judged
 * against a broken reference.
 *
 * Tolerances follow one rule (output-tolerance.ts), the same that golden files store in metadata.
 */
import { checkFiniteNumber, checkOneOf, describe, MoEOracleError } from '../tensor/errors.js';
import { contiguous, formatShape, unravelIndex, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { tensorsUnder } from './case.js';
import { compareAnyTensors, type Comparison } from './compare.js';
import { expectedOutputs, getComponent, routingOutputsOf, type RoutingOutputs, type TensorMap } from './components.js';
import { outputTolerance } from './output-tolerance.js';
import { requireIntTensor, requireTensor, type SafetensorsFile } from './safetensors.js';
import { allowedError, COMPUTE_DTYPES, type ComputeDtype } from './tolerance.js';

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
  /** Below this margin a different set is accepted, if every differing expert is this close to the k-th selection score. */
  threshold: number;
  /** An expert of the symmetric difference farther than the threshold from the k-th selection score: not a near-tie. */
  farExpert?: { expert: number; distance: number };
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
  /** Outputs of the component that the backend did not provide (not compared). */
  unchecked: string[];
  /** Outputs of the component that the golden file lacks (an incomplete golden file fails). */
  missingInGolden: string[];
  /** Backend outputs that the golden file does not hold (not compared). */
  extra: string[];
  /** Why verification failed apart from the comparisons and the routing, one sentence each. */
  problems: string[];
}

function rowsOf(t: IntTensor, row: number): number[] {
  const k = t.shape[1];
  return Array.from(contiguous(t).data.slice(row * k, (row + 1) * k));
}

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((e) => b.includes(e));
}

function checkFileArgument(argument: string, value: unknown): asserts value is SafetensorsFile {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !isObject((value as SafetensorsFile).tensors) || !isObject((value as SafetensorsFile).metadata ?? {})) {
    throw new MoEOracleError(argument, 'a safetensors file as read by readSafetensors / readSafetensorsFile ({tensors, metadata, dtypes})', describe(value));
  }
}

/** The compute dtype suggested by the dtypes a backend stored its outputs in. */
export function inferComputeDtype(actual: SafetensorsFile): ComputeDtype {
  checkFileArgument('actual', actual);
  const stored = Object.entries(actual.dtypes ?? {}).filter(([name]) => name.startsWith('outputs.')).map(([, dtype]) => dtype);
  if (stored.includes('BF16')) return 'bf16';
  if (stored.includes('F16')) return 'fp16';
  return 'fp32';
}

/** Reads the case's metadata: component and parsed config. */
export function readCaseMetadata(file: SafetensorsFile, argument = 'golden') {
  checkFileArgument(argument, file);
  const metadata = file.metadata ?? {};
  if (typeof metadata.component !== 'string' || typeof metadata.config !== 'string') {
    throw new MoEOracleError(`${argument} __metadata__`, 'a moe-oracle case (keys "component" and "config")', `keys ${JSON.stringify(Object.keys(metadata))}`);
  }
  const component = getComponent(metadata.component);
  let configJson: unknown;
  try {
    configJson = JSON.parse(metadata.config);
  } catch (error) {
    throw new MoEOracleError(`${argument} __metadata__.config`, 'valid JSON', (error as Error).message);
  }
  return { component, config: component.parseConfig(configJson), caseName: metadata.case ?? '(unnamed)' };
}

/** The first NaN / ±Infinity of a tensor (+Infinity allowed when `allowPositiveInfinity`), or null. */
function firstNonFinite(t: Tensor, allowPositiveInfinity = false): { index: number[]; value: number } | null {
  const c = contiguous(t);
  for (let i = 0; i < c.data.length; i++) {
    const v = c.data[i];
    if (Number.isFinite(v) || (allowPositiveInfinity && v === Infinity)) continue;
    return { index: unravelIndex(i, c.shape), value: v };
  }
  return null;
}

/**
 * Reference outputs that are non-finite although every float input and parameter of the case is
 * finite: one sentence each (empty when there are none, or when some input is itself non-finite).
 */
function referenceOverflows(golden: SafetensorsFile, component: ReturnType<typeof getComponent>, reference: TensorMap, names: string[]): string[] {
  const found: string[] = [];
  for (const name of names) {
    const t = reference[name];
    if (!(t.data instanceof Float32Array)) continue;
    const mayBeInfinite = component.outputs.find((o) => o.name === name)?.mayBeInfinite === true;
    const first = firstNonFinite(t as Tensor, mayBeInfinite);
    if (first) found.push(`golden outputs.${name} holds ${first.value} at ${formatShape(first.index)} although every input and parameter is finite (a reference overflow: the case cannot judge a backend)`);
  }
  if (found.length === 0) return found;
  for (const name of Object.keys(golden.tensors)) {
    if (!name.startsWith('inputs.') && !name.startsWith('params.')) continue;
    const t = golden.tensors[name];
    if (t.data instanceof Float32Array && firstNonFinite(t as Tensor) !== null) return [];
  }
  return found;
}

/** Verifies `actual` against `golden`. Throws MoEOracleError (exit 2) for unusable files or options. */
export function verify(golden: SafetensorsFile, actual: SafetensorsFile, options: VerifyOptions = {}): VerifyReport {
  checkFileArgument('golden', golden);
  checkFileArgument('actual', actual);
  if (typeof options !== 'object' || options === null) throw new MoEOracleError('options', 'an object {dtype?, atol?, rtol?}', describe(options));
  const { component, config, caseName } = readCaseMetadata(golden);
  const dtype = options.dtype === undefined ? inferComputeDtype(actual) : checkOneOf('options.dtype', options.dtype, COMPUTE_DTYPES);
  const overrides = {
    atol: options.atol === undefined ? undefined : checkFiniteNumber('options.atol', options.atol, 0),
    rtol: options.rtol === undefined ? undefined : checkFiniteNumber('options.rtol', options.rtol, 0),
  };
  let reference = tensorsUnder(golden.tensors, 'outputs.');
  const actualOutputs = tensorsUnder(actual.tensors, 'outputs.');
  const expected = expectedOutputs(component, config);
  const mainName = expected[0];
  const report: VerifyReport = {
    passed: false, dtype, case: caseName, component: component.name, routing: null, comparisons: [],
    unchecked: expected.filter((name) => !(name in actualOutputs)),
    missingInGolden: expected.filter((name) => !(name in reference)),
    extra: Object.keys(actualOutputs).filter((name) => !(name in reference)),
    problems: [],
  };
  if (report.missingInGolden.length > 0) {
    report.problems.push(`the golden file lacks ${report.missingInGolden.map((n) => `outputs.${n}`).join(', ')} (every ${component.name} output must be there; the file is incomplete or damaged): nothing compared`);
    return report;
  }
  const unknown = Object.keys(reference).filter((name) => !expected.includes(name));
  if (unknown.length > 0) {
    report.problems.push(`the golden file holds ${unknown.map((n) => `outputs.${n}`).join(', ')}, which the ${component.name} component does not produce for its config (damaged file?)`);
    return report;
  }
  if (report.unchecked.includes(mainName)) {
    report.problems.push(`the backend did not provide outputs.${mainName}, the main ${component.name} output (its file holds: ${Object.keys(actual.tensors).join(', ') || 'nothing'})`);
  }
  report.problems.push(...referenceOverflows(golden, component, reference, expected));
  for (const name of expected) {
    const a = actualOutputs[name];
    const r = reference[name];
    if (a && (a.shape.length !== r.shape.length || a.shape.some((d, i) => d !== r.shape[i]))) {
      throw new MoEOracleError(`actual tensor "outputs.${name}"`, `shape ${formatShape(r.shape)}`, formatShape(a.shape));
    }
  }

  const caseInputs = tensorsUnder(golden.tensors, 'inputs.');
  const caseParams = tensorsUnder(golden.tensors, 'params.') as Record<string, Tensor>;

  // 1–2. Routing as sets per token; replay on any difference.
  const routingOutputs = routingOutputsOf(component, config);
  if (routingOutputs && routingOutputs.indices in actualOutputs) {
    const refIndices = requireIntTensor({ tensors: reference }, routingOutputs.indices, [null, null]);
    const [tokens, k] = refIndices.shape;
    const actIndices = requireIntTensor({ tensors: actualOutputs }, routingOutputs.indices, refIndices.shape);
    const margins = contiguous(requireTensor({ tensors: reference }, routingOutputs.margins, [tokens])).data;
    const scores = requireTensor({ tensors: reference }, routingOutputs.scores, [tokens, null]);
    const scoreTolerance = outputTolerance(component, config, routingOutputs.scores, { outputs: reference, inputs: caseInputs, params: caseParams }, dtype, overrides);
    const scoreData = contiguous(scores).data;
    const routing: RoutingReport = { tokens, nearTies: [], mismatches: [], replayed: false };
    let selection: { data: Float32Array; experts: number } | undefined;
    report.routing = routing;
    let anyDifference = false;
    for (let t = 0; t < tokens; t++) {
      const r = rowsOf(refIndices, t);
      const a = rowsOf(actIndices, t);
      if (r.some((e, j) => e !== a[j])) anyDifference = true;
      if (sameSet(r, a)) continue;
      // The score scale at the boundary: the k-th chosen expert's score (scores [T, N] or values [T, k]).
      const kth = scores.shape[1] === k ? scoreData[t * k + k - 1] : scoreData[t * scores.shape[1] + r[k - 1]];
      const threshold = 2 * allowedError(kth, scoreTolerance);
      const difference: RoutingDifference = { token: t, reference: r, actual: a, margin: margins[t], threshold };
      // A near-tie flip swaps experts at the k-th boundary only: each expert in one set and not the
      // other must lie within the threshold of the k-th selection score (a small margin says the k-th
      // and (k+1)-th are close, not that any expert may stand in). A NaN margin or threshold (a damaged
      // file) is a mismatch, never a near-tie.
      let nearTie = margins[t] < threshold;
      if (nearTie) {
        selection ??= selectionScoresOf(routingOutputs, config, caseInputs, caseParams, tokens);
        const farExpert = farFromBoundary(r, a, selection, t, threshold);
        if (farExpert !== undefined) [difference.farExpert, nearTie] = [farExpert, false];
      }
      (nearTie ? routing.nearTies : routing.mismatches).push(difference);
    }
    if (anyDifference) {
      try {
        reference = component.run(config, caseInputs, caseParams, actIndices);
        routing.replayed = true;
      } catch (error) {
        if (!(error instanceof MoEOracleError)) throw error;
        throw new MoEOracleError(`actual ${routingOutputs.indices}`, 'indices the reference can replay', error.message);
      }
    }
  }

  // 3. Element-wise comparisons, in the component's order of outputs.
  for (const name of expected) {
    const act = actualOutputs[name];
    if (act === undefined) continue;
    if (report.routing && name === routingOutputs?.indices) continue; // judged as sets above
    const ref = reference[name];
    const tolerance = outputTolerance(component, config, name, { outputs: reference, inputs: caseInputs, params: caseParams }, dtype, overrides);
    report.comparisons.push({ ...compareAnyTensors(name, ref, act, tolerance), toleranceExplanation: tolerance.explanation });
  }
  report.passed =
    report.problems.length === 0 && report.comparisons.length > 0 && report.comparisons.every((c) => c.passed) && (report.routing === null || report.routing.mismatches.length === 0);
  return report;
}

/** The reference's selection scores [T, N] of a routing case, recomputed by the component. */
function selectionScoresOf(routing: RoutingOutputs, config: unknown, inputs: TensorMap, params: Record<string, Tensor>, tokens: number): { data: Float32Array; experts: number } {
  const selection = routing.selectionScores(config, inputs, params);
  if (selection.shape.length !== 2 || selection.shape[0] !== tokens) throw new MoEOracleError('selection scores', `shape [${tokens}, N]`, formatShape(selection.shape));
  return { data: contiguous(selection).data, experts: selection.shape[1] };
}

/**
 * The first expert in one set and not the other whose selection score is farther than `threshold`
 * from the reference's k-th selection score (the k-th of the reference's set, `reference[k − 1]`).
 */
function farFromBoundary(reference: number[], actual: number[], selection: { data: Float32Array; experts: number }, token: number, threshold: number): { expert: number; distance: number } | undefined {
  const row = token * selection.experts;
  const kth = selection.data[row + reference[reference.length - 1]];
  for (const expert of [...actual.filter((e) => !reference.includes(e)), ...reference.filter((e) => !actual.includes(e))]) {
    const score = selection.data[row + expert];
    const distance = score === kth ? 0 : Math.abs(score - kth);
    if (!(distance <= threshold)) return { expert, distance };
  }
  return undefined;
}

/** Why a routing difference was not accepted as a near-tie flip, in words. */
export function routingMismatchReason(difference: RoutingDifference): string {
  if (typeof difference !== 'object' || difference === null || typeof difference.margin !== 'number' || typeof difference.threshold !== 'number') {
    throw new MoEOracleError('difference', 'a routing difference from a verify report ({ token, reference, actual, margin, threshold })', describe(difference));
  }
  if (difference.farExpert !== undefined) {
    const { expert, distance } = difference.farExpert;
    return `expert ${expert} is ${distance.toExponential(2)} from the k-th selection score, beyond the near-tie threshold ${difference.threshold.toExponential(2)}`;
  }
  return `margin ${difference.margin.toExponential(2)} ≥ the near-tie threshold ${difference.threshold.toExponential(2)}`;
}
