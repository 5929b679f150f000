/**
 * The one tolerance rule per output of a component: what `verify` applies, and what a golden file's
 * `tolerances` metadata stores (for fp32 compute, without user overrides), so that whoever judges a
 * backend by the metadata judges it by the same numbers as `verify`.
 *
 *   float32 output o (not the margins):  defaultTolerance(dtype, K = component.reductionLength(config, o),
 *                                         magnitude = RMS of the reference o, or the scale of the terms
 *                                         o sums when the component declares one and it is larger:
 *                                         terms that cancel leave a backend's rounding error on their
 *                                         own scale, not the sum's)                      (tolerance.ts)
 *   routing margins (k-th minus (k+1)-th score): a margin is the difference of two scores, each within
 *                                         the score tolerance, so its error is judged on the scale of the
 *                                         scores: atol = 2 · allowedError(max |finite score|, tolerance of
 *                                         the scores), rtol = 0
 *   int32 outputs (indices, counts):      exact (atol = rtol = 0)
 *
 * User overrides (`--atol`, `--rtol`) replace atol / rtol of every output (overrideTolerance).
 */
import { checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { contiguous, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { routingOutputsOf, type CaseTensors, type Component, type TensorMap } from './components.js';
import { allowedError, COMPUTE_DTYPES, defaultTolerance, overrideTolerance, referenceMagnitude, type ComputeDtype, type ExplainedTolerance, type Tolerance } from './tolerance.js';

/** The exact tolerance of int32 outputs. */
const EXACT: ExplainedTolerance = { atol: 0, rtol: 0, explanation: 'exact' };

/** Largest |v| over the finite entries (0 when there are none). */
function largestFiniteMagnitude(t: Tensor): number {
  let largest = 0;
  for (const v of contiguous(t).data) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return largest;
}

/**
 * The tolerance `verify` applies to output `name` of `component`, given the reference outputs
 * (`reference[name]` and, for the margins, the scores the selection ran on).
 * @throws MoEOracleError when the reference lacks the output (or, for the margins, the scores).
 */
export function outputTolerance<C>(
  component: Component<C>,
  config: C,
  name: string,
  caseTensors: CaseTensors,
  dtype: ComputeDtype,
  overrides: Partial<Tolerance> = {},
): ExplainedTolerance {
  const reference = caseTensors.outputs;
  checkOneOf('dtype', dtype, COMPUTE_DTYPES);
  const of = (outputName: string): Tensor | IntTensor => {
    const t = Object.prototype.hasOwnProperty.call(reference, outputName) ? reference[outputName] : undefined;
    if (t === undefined) throw new MoEOracleError(`reference "outputs.${outputName}"`, `the ${component.name} output ${outputName}`, 'no such tensor');
    return t;
  };
  const ref = of(name);
  if (ref.data instanceof Int32Array) return EXACT;
  const routing = routingOutputsOf(component, config);
  if (routing !== undefined && name === routing.margins) {
    const scores = of(routing.scores) as Tensor;
    const scoreTolerance = outputTolerance(component, config, routing.scores, caseTensors, dtype, overrides);
    const largest = largestFiniteMagnitude(scores);
    const atol = 2 * allowedError(largest, scoreTolerance);
    const margin: ExplainedTolerance = {
      atol,
      rtol: 0,
      explanation: `margins: 2·(tolerance of ${routing.scores} at its largest value ${largest.toPrecision(3)}) = ${atol.toPrecision(3)}`,
    };
    return overrideTolerance(margin, overrides);
  }
  const reductionLength = component.reductionLength(config, name, caseTensors);
  const termScale = component.outputs.find((output) => output.name === name)?.termScale;
  const magnitude = Math.max(referenceMagnitude(ref as Tensor), termScale === undefined ? 0 : termScale(config, caseTensors));
  return overrideTolerance(defaultTolerance({ dtype, reductionLength, magnitude }), overrides);
}

/** The `tolerances` metadata of a golden file: per float32 output, K and the fp32 {atol, rtol} verify applies. */
export function storedTolerances<C>(component: Component<C>, config: C, caseTensors: CaseTensors): Record<string, { reduction_length: number; atol: number; rtol: number }> {
  const stored: Record<string, { reduction_length: number; atol: number; rtol: number }> = {};
  for (const [name, t] of Object.entries(caseTensors.outputs)) {
    if (!(t.data instanceof Float32Array)) continue;
    const { atol, rtol } = outputTolerance(component, config, name, caseTensors, 'fp32');
    stored[name] = { reduction_length: component.reductionLength(config, name, caseTensors), atol, rtol };
  }
  return stored;
}
