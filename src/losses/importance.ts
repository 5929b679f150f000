/**
 * Importance loss (Shazeer et al., "Outrageously Large Neural Networks", arXiv:1701.06538, §4 eqs.
 * 6-7): the squared coefficient of variation of the experts' importance, the sum of their gate values
 * over the tokens.
 *
 *   I_e = Σ_t G_te,   μ = mean_e I_e,   V = Σ_e (I_e − μ)² / n,   L = α · V / (μ² + δ)
 *   dL/dI_e = α · ( 2(I_e − μ) / (n·(μ² + δ)) − 2μ·V / (N·(μ² + δ)²) ),   dL/dG_te = dL/dI_e
 *
 * Named by source (`source`):
 *   'vmoe'     G = softmax over all N experts, n = N (population variance, `jnp.std`), δ = 0:
 *              google-research/vmoe `routing.NoisyTopExpertsPerItemRouter._importance_auxiliary_loss`.
 *   'tutel'    G = softmax over all N experts, n = N − 1 (`torch.var`, unbiased), δ = 1e-10:
 *              microsoft/tutel `impls/losses.py` `load_importance_loss` (its importance half).
 *   'shazeer'  G = softmax over each token's k chosen logits, 0 elsewhere (the paper's
 *              Softmax(KeepTopK(H(x), k)) with the noise left out, so H = the logits; pass the noisy
 *              logits to include it), n = N, δ = 0 (the paper does not state n).
 * CV² = 0 for equal importance; one expert holding all of it gives N − 1 (n = N).
 *
 * The backward of G: softmax over all experts, or over the chosen logits for 'shazeer' (the router's
 * 'softmax-topk' backward, router/backward.ts).
 *
 * The load loss of the same paper (eqs. 8-10, the smooth estimator of noisy top-k) is in load.ts.
 *
 * Shapes: logits [T, N] float32, topkIndices [T, k] int32 ('shazeer' only). Numerics: float64, tokens
 * summed in index order; the gradient is rounded to float32 once.
 */
import { checkFiniteNumber, checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { softmaxValues } from '../tensor/softmax.js';
import type { IntTensor, Tensor } from '../tensor/tensor.js';
import { softmaxBackwardValues } from '../router/backward.js';
import { readIndices, readLogits, scoresBackward, scoresOf, toTensor, type LossResult } from './scores.js';

export type ImportanceSource = 'vmoe' | 'tutel' | 'shazeer';
export const IMPORTANCE_SOURCES: readonly ImportanceSource[] = ['vmoe', 'tutel', 'shazeer'];

/** Options of {@link importanceLoss}. */
export interface ImportanceOptions {
  source: ImportanceSource;
  /** α (Shazeer's w_importance); default 1. */
  coefficient?: number;
  /** [T, k] int32 chosen experts; required by 'shazeer', not read otherwise. */
  topkIndices?: IntTensor;
}

/**
 * CV² of importance (or load) values, and its gradient with respect to them (float64):
 *   m = Σ_e x_e / a,  V = Σ_e (x_e − m)² / b,  CV² = V / (m² + δ)
 *   dCV²/dx_e = (2/b)·((x_e − m) − Σ_j (x_j − m)/a) / (m² + δ) − 2m·V / (a·(m² + δ)²)
 * with a = `meanDivisor` (default n, the count; tensor2tensor uses n + 1e-10) and b = `divisor`.
 */
export function squaredCoefficientOfVariation(importance: Float64Array, divisor: number, delta: number, meanDivisor = importance.length): { value: number; grad: Float64Array } {
  const n = importance.length;
  let sum = 0;
  for (let e = 0; e < n; e++) sum += importance[e];
  const mean = sum / meanDivisor;
  let variance = 0;
  let deviationSum = 0;
  for (let e = 0; e < n; e++) {
    variance += (importance[e] - mean) ** 2;
    deviationSum += importance[e] - mean;
  }
  variance /= divisor;
  const denominator = mean * mean + delta;
  if (!(denominator > 0)) throw new MoEOracleError('gates', 'a positive mean importance', String(mean));
  const grad = Float64Array.from(
    importance,
    (value) => (2 * (value - mean - deviationSum / meanDivisor)) / (divisor * denominator) - (2 * mean * variance) / (meanDivisor * denominator * denominator),
  );
  return { value: variance / denominator, grad };
}

/**
 * Importance loss (CV² of per-expert importance) and its gradient with respect to the logits.
 * @throws MoEOracleError for a bad shape, N < 2 with 'tutel', or missing indices for 'shazeer'.
 */
export function importanceLoss(logits: Tensor, options: ImportanceOptions): LossResult {
  const { data, tokens, experts } = readLogits(logits);
  const source = checkOneOf('source', options?.source, IMPORTANCE_SOURCES);
  const alpha = checkFiniteNumber('coefficient', options.coefficient ?? 1);
  if (source !== 'shazeer' && options.topkIndices !== undefined) throw new MoEOracleError('topkIndices', `no indices for source '${source}' (dense softmax gates)`, 'indices given');
  if (source === 'tutel' && experts < 2) throw new MoEOracleError('logits', "at least 2 experts for the unbiased variance of 'tutel'", `N = ${experts}`);

  let gates: Float64Array;
  let chosen: Int32Array | undefined;
  let k = 0;
  if (source === 'shazeer') {
    if (options.topkIndices === undefined) throw new MoEOracleError('topkIndices', "[T, k] int32 chosen experts for source 'shazeer'", 'undefined');
    ({ data: chosen, k } = readIndices(options.topkIndices, tokens, experts));
    gates = new Float64Array(tokens * experts);
    for (let t = 0; t < tokens; t++) {
      const chosenLogits = Array.from({ length: k }, (_, j) => data[t * experts + chosen![t * k + j]]);
      softmaxValues(chosenLogits).forEach((g, j) => (gates[t * experts + chosen![t * k + j]] = g));
    }
  } else {
    gates = scoresOf(data, tokens, experts, 'softmax');
  }

  const importance = new Float64Array(experts);
  for (let t = 0; t < tokens; t++) for (let e = 0; e < experts; e++) importance[e] += gates[t * experts + e];
  const { value, grad: gradImportance } = squaredCoefficientOfVariation(importance, source === 'tutel' ? experts - 1 : experts, source === 'tutel' ? 1e-10 : 0);

  const gradGates = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) for (let e = 0; e < experts; e++) gradGates[t * experts + e] = alpha * gradImportance[e];
  if (source !== 'shazeer') return { loss: alpha * value, gradLogits: toTensor(scoresBackward(data, gates, gradGates, tokens, experts, 'softmax'), [tokens, experts]) };

  const grad = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    const slots = Array.from({ length: k }, (_, j) => t * experts + chosen![t * k + j]);
    const chosenGrad = softmaxBackwardValues(slots.map((i) => gates[i]), slots.map((i) => gradGates[i]));
    slots.forEach((i, j) => (grad[i] = chosenGrad[j]));
  }
  return { loss: alpha * value, gradLogits: toTensor(grad, [tokens, experts]) };
}
