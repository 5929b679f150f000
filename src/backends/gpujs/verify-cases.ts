/**
 * Verifies a backend on golden cases with the project's own `verify` (src/golden/verify.ts), exactly
 * as a user's backend is judged: for each case, run the case's component on the backend with the
 * case's inputs and parameters, hand the outputs to `verify` as a backend's file (F32 / I32 tensors
 * named `outputs.<name>`, fp32 compute inferred), and keep its report. Works in Node and in a page
 * (cases are read through a loader, from disk or over HTTP).
 *
 * An asynchronous backend (gpu.js's webgpu) runs each component through `runSynchronously`
 * (synchronous-view.ts), so every family is covered, including families added later.
 *
 * The matrix (component family × mode) aggregates per family: cases passed, the worst error relative
 * to what the tolerance allows (max over elements of |actual − reference| / (atol + rtol·|reference|),
 * against the reference `verify` compared with, the replay after a near-tie flip included), the ULP
 * histogram summed over every float32 output, and the near-tie flips.
 */
import { checkObject, describe, MoEOracleError } from '../../tensor/errors.js';
import { contiguous, type IntTensor, type Tensor } from '../../tensor/tensor.js';
import { tensorsUnder } from '../../golden/case.js';
import { ULP_BUCKETS, type UlpBucket } from '../../golden/compare.js';
import type { TensorMap } from '../../golden/components.js';
import { readSafetensors, type SafetensorsFile } from '../../golden/safetensors.js';
import { allowedError } from '../../golden/tolerance.js';
import { readCaseMetadata, routingMismatchReason, verify, type VerifyReport } from '../../golden/verify.js';
import { cpuBackend } from '../cpu/index.js';
import type { Kernels } from '../kernels.js';
import { checkKernels } from '../registry.js';
import { runSynchronously } from './synchronous-view.js';

/** One case of golden/index.json. */
export interface CaseEntry {
  case: string;
  file: string;
  component: string;
}

/** The outcome of one case on one backend. */
export interface CaseResult {
  case: string;
  family: string;
  passed: boolean;
  /** max |actual − reference| / allowed over every float32 output (≤ 1 passes). */
  worstRatio: number;
  /** Where that worst ratio is: output name and element index. */
  worstAt: string;
  ulpHistogram: Record<UlpBucket, number>;
  nearTieFlips: number;
  /** One line per failed output or routing mismatch, naming the family, case, output and element. */
  failures: string[];
  /** Kernel calls the component made on the backend: 0 means it ran on the cpu alone (nothing of the backend verified). */
  kernelCalls: number;
  /** Set when the case could not run (the message). */
  error?: string;
}

const emptyHistogram = (): Record<UlpBucket, number> => Object.fromEntries(ULP_BUCKETS.map((b) => [b.label, 0])) as Record<UlpBucket, number>;

/** The outputs of a component run as a backend's file would hold them. */
export function outputsAsFile(outputs: TensorMap): SafetensorsFile {
  const tensors: SafetensorsFile['tensors'] = {};
  const dtypes: SafetensorsFile['dtypes'] = {};
  for (const [name, t] of Object.entries(outputs)) {
    tensors[`outputs.${name}`] = t;
    dtypes[`outputs.${name}`] = t.data instanceof Int32Array ? 'I32' : 'F32';
  }
  return { tensors, metadata: {}, dtypes };
}

/** `backend` with a count of its kernel calls (upload and read back not counted). */
function counting(backend: Kernels): { kernels: Kernels; calls: () => number } {
  let calls = 0;
  const kernels: Record<string, unknown> = { ...backend };
  for (const name of Object.keys(cpuBackend)) {
    if (['name', 'synchronous', 'upload', 'readSync', 'read'].includes(name)) continue;
    const kernel = (backend as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
    kernels[name] = (...args: unknown[]) => (calls++, kernel.apply(backend, args));
  }
  return { kernels: kernels as unknown as Kernels, calls: () => calls };
}

/** Runs the golden case's component on `backend` (any backend, synchronous or not) → its outputs. */
export async function runCaseOn(golden: SafetensorsFile, backend: Kernels): Promise<TensorMap> {
  checkKernels('backend', backend);
  return (await runCaseCounting(golden, backend)).outputs;
}

async function runCaseCounting(golden: SafetensorsFile, backend: Kernels): Promise<{ outputs: TensorMap; kernelCalls: number }> {
  const { component, config } = readCaseMetadata(golden);
  const inputs = tensorsUnder(golden.tensors, 'inputs.');
  const params = tensorsUnder(golden.tensors, 'params.') as Record<string, Tensor>;
  const { kernels, calls } = counting(backend);
  const outputs = await runSynchronously(kernels, (view) => component.run(config, inputs, params, undefined, { backend: view }));
  return { outputs, kernelCalls: calls() };
}

/** Summarises a verify report: worst ratio (against the reference verify used), ULPs, failures. */
export function summarise(golden: SafetensorsFile, actual: TensorMap, report: VerifyReport): CaseResult {
  const { component, config } = readCaseMetadata(golden);
  const family = component.name;
  let reference = tensorsUnder(golden.tensors, 'outputs.');
  if (report.routing?.replayed && component.routing) {
    const inputs = tensorsUnder(golden.tensors, 'inputs.');
    const params = tensorsUnder(golden.tensors, 'params.') as Record<string, Tensor>;
    reference = component.run(config, inputs, params, actual[component.routing.indices] as IntTensor);
  }
  const result: CaseResult = { case: report.case, family, passed: report.passed, worstRatio: 0, worstAt: '', ulpHistogram: emptyHistogram(), nearTieFlips: report.routing?.nearTies.length ?? 0, failures: [], kernelCalls: 0 };
  for (const comparison of report.comparisons) {
    if (comparison.kind === 'float32') {
      for (const bucket of ULP_BUCKETS) result.ulpHistogram[bucket.label] += comparison.ulp.histogram[bucket.label];
      const ref = contiguous(reference[comparison.name] as Tensor).data;
      const act = contiguous(actual[comparison.name] as Tensor).data;
      for (let i = 0; i < ref.length; i++) {
        if (!Number.isFinite(ref[i]) || !Number.isFinite(act[i])) continue;
        const ratio = Math.abs(act[i] - ref[i]) / allowedError(ref[i], comparison.tolerance);
        if (ratio > result.worstRatio) {
          result.worstRatio = ratio;
          result.worstAt = `${comparison.name}[${i}]`;
        }
      }
      if (!comparison.passed) {
        const where = comparison.worst ? ` worst element [${comparison.worst.index.join(', ')}]: ${comparison.worst.actual} vs reference ${comparison.worst.reference} (|error| ${comparison.worst.absError.toExponential(2)} > allowed ${comparison.worst.allowed.toExponential(2)})` : '';
        result.failures.push(`${family} ${report.case}: outputs.${comparison.name}: ${comparison.reasons.join('; ')}${where}`);
      }
    } else if (!comparison.passed) {
      const where = comparison.firstMismatch ? ` first mismatch [${comparison.firstMismatch.index.join(', ')}]: ${comparison.firstMismatch.actual} vs reference ${comparison.firstMismatch.reference}` : '';
      result.failures.push(`${family} ${report.case}: outputs.${comparison.name}: ${comparison.reasons.join('; ')}${where}`);
    }
  }
  for (const m of report.routing?.mismatches ?? []) {
    result.failures.push(`${family} ${report.case}: routing of token ${m.token}: experts [${m.actual.join(', ')}], reference [${m.reference.join(', ')}]: ${routingMismatchReason(m)}`);
  }
  return result;
}

/** Verifies one golden case (its bytes) on `backend`. Never throws: a case that cannot run is a failure with its reason. */
export async function verifyCaseOn(bytes: Uint8Array, backend: Kernels, name = '(case)'): Promise<CaseResult> {
  checkKernels('backend', backend);
  if (typeof name !== 'string') throw new MoEOracleError('name', 'the case name (a string)', describe(name));
  let golden: SafetensorsFile | undefined;
  try {
    golden = readSafetensors(bytes);
    const { outputs, kernelCalls } = await runCaseCounting(golden, backend);
    return { ...summarise(golden, outputs, verify(golden, outputsAsFile(outputs))), kernelCalls };
  } catch (error) {
    const family = golden?.metadata.component ?? '?';
    const message = error instanceof MoEOracleError ? error.message : String((error as Error)?.stack ?? error);
    return { case: name, family, passed: false, worstRatio: NaN, worstAt: '', ulpHistogram: emptyHistogram(), nearTieFlips: 0, failures: [`${family} ${name}: could not run: ${message}`], kernelCalls: 0, error: message };
  }
}

/** Verifies every case of an index (golden/index.json's `cases`), reading each file through `load`. */
export async function verifyCasesOn(cases: readonly CaseEntry[], load: (file: string) => Promise<Uint8Array>, backend: Kernels): Promise<CaseResult[]> {
  if (!Array.isArray(cases)) throw new MoEOracleError('cases', 'an array of index entries { case, file, component }', describe(cases));
  cases.forEach((entry, i) => {
    checkObject(`cases[${i}]`, entry, 'an index entry { case, file, component }');
    if (typeof entry.case !== 'string' || typeof entry.file !== 'string') throw new MoEOracleError(`cases[${i}]`, 'an index entry with string case and file', describe(entry));
  });
  if (typeof load !== 'function') throw new MoEOracleError('load', 'a function reading a case file into bytes', describe(load));
  checkKernels('backend', backend);
  const results: CaseResult[] = [];
  for (const entry of cases) results.push(await verifyCaseOn(await load(entry.file), backend, entry.case));
  return results;
}

/**
 * One cell of the matrix: a family on one mode. 'cpu only': every case passed but none made a kernel
 * call on the backend (selection, losses, backward passes run on the cpu for every backend), so the
 * backend was not exercised by that family.
 */
export interface MatrixCell {
  status: 'pass' | 'fail' | 'cpu only' | 'not run';
  /** Kernel calls on the backend over the family's cases. */
  kernelCalls: number;
  cases: number;
  passed: number;
  worstRatio: number;
  worstAt: string;
  ulpHistogram: Record<UlpBucket, number>;
  nearTieFlips: number;
  failures: string[];
  /** Why a mode did not run. */
  reason?: string;
}

/** Aggregates case results per family. */
export function matrixColumn(results: readonly CaseResult[]): Record<string, MatrixCell> {
  const column: Record<string, MatrixCell> = {};
  for (const r of results) {
    const cell = (column[r.family] ??= { status: 'pass', kernelCalls: 0, cases: 0, passed: 0, worstRatio: 0, worstAt: '', ulpHistogram: emptyHistogram(), nearTieFlips: 0, failures: [] });
    cell.cases++;
    cell.kernelCalls += r.kernelCalls;
    if (r.passed) cell.passed++;
    else cell.status = 'fail';
    if (!(r.worstRatio <= cell.worstRatio)) {
      cell.worstRatio = r.worstRatio;
      cell.worstAt = `${r.case}: ${r.worstAt}`;
    }
    for (const bucket of ULP_BUCKETS) cell.ulpHistogram[bucket.label] += r.ulpHistogram[bucket.label];
    cell.nearTieFlips += r.nearTieFlips;
    cell.failures.push(...r.failures);
  }
  for (const cell of Object.values(column)) if (cell.status === 'pass' && cell.kernelCalls === 0) cell.status = 'cpu only';
  return column;
}
