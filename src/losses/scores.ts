/**
 * Shared pieces of the balancing losses: checking their inputs, the router scores they read (and the
 * backward of those scores), and the one form every load-balancing loss here takes.
 *
 * Scores (float64, recomputed from the float32 logits z [T, N]):
 *   'softmax'             p_te = e^(z_te) / Σ_j e^(z_tj)                       (HF, Switch, DeepSpeed, Megatron)
 *   'sigmoid-normalized'  p_te = σ(z_te) / (Σ_j σ(z_tj) + ε), ε = 1e-20          (Megatron-LM
 *                         `compute_routing_scores_for_aux_loss` for score_function "sigmoid"; the
 *                         DeepSeek-V3 paper's s'_{i,t} = s_{i,t} / Σ_j s_{j,t}, eq. 18, without ε)
 * Their backward, per token, with g = dL/dp:
 *   softmax:             dL/dz_e = p_e · (g_e − Σ_j p_j g_j)
 *   sigmoid-normalized:  with s = σ(z), D = Σ_j s_j + ε:
 *                        dL/ds_e = (g_e − Σ_j p_j g_j) / D,   dL/dz_e = dL/ds_e · s_e · (1 − s_e)
 *
 * Every load-balancing loss of this folder is linear in the scores once the routing (which is not
 * differentiable) is fixed:
 *
 *   L = Σ_g Σ_e A_ge · Σ_{t ∈ g} m_t · p_te        dL/dp_te = m_t · A_{g(t) e}
 *
 * with tokens split into groups g (sequences, batch rows, or one group), token weights m_t (1, or the
 * attention mask) and a coefficient matrix A [G, N] built from the counts of the routing. Each variant
 * only builds A (load-balancing.ts, deepseek-balance.ts). Accumulation order: S_ge = Σ_t m_t·p_te over
 * tokens in index order, then L = Σ_g Σ_e A_ge·S_ge in (g, e) order, all float64.
 *
 * Shapes: logits [T, N] float32, topkIndices [T, k] int32 (distinct experts per token, each in [0, N)).
 */
import { sigmoidScalar } from '../tensor/activations.js';
import { checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { softmaxValues } from '../tensor/softmax.js';
import { checkFinite, checkShape, contiguous, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { checkSelection } from '../router/topk.js';
import { softmaxBackwardValues } from '../router/backward.js';

/** Which scores a loss reads (see the file comment). */
export type LossScoring = 'softmax' | 'sigmoid-normalized';
export const LOSS_SCORINGS: readonly LossScoring[] = ['softmax', 'sigmoid-normalized'];

/** ε of Megatron-LM's sigmoid normalisation (`scores / (scores.sum(-1) + 1e-20)`). */
export const SIGMOID_NORMALIZATION_EPSILON = 1e-20;

/** A scalar loss and its gradient with respect to the router logits. */
export interface LossResult {
  /** The loss, float64. */
  loss: number;
  /** [T, N] dL/d(logits), computed in float64 and rounded to float32 once. */
  gradLogits: Tensor;
}

/** Checks router logits [T, N] (finite) and returns their contiguous data and sizes. */
export function readLogits(logits: Tensor, argument = 'logits'): { data: Float32Array; tokens: number; experts: number } {
  checkShape(argument, logits, ['T', 'N']);
  checkFinite(argument, logits);
  const [tokens, experts] = logits.shape;
  return { data: contiguous(logits).data, tokens, experts };
}

/** Checks top-k indices [T, k] against T and N (int32, in range, distinct per token); returns data and k. */
export function readIndices(indices: IntTensor, tokens: number, experts: number, argument = 'topkIndices'): { data: Int32Array; k: number } {
  checkShape(argument, indices, [tokens, 'k'], { kind: 'int32' });
  const k = indices.shape[1];
  checkSelection(argument, indices, tokens, k, experts);
  return { data: contiguous(indices).data, k };
}

/** Scores of every token, float64 [T·N], from float32 logits. */
export function scoresOf(logits: Float32Array, tokens: number, experts: number, scoring: LossScoring): Float64Array {
  checkOneOf('scoring', scoring, LOSS_SCORINGS);
  const scores = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    const row = logits.subarray(t * experts, (t + 1) * experts);
    if (scoring === 'softmax') {
      scores.set(softmaxValues(row, `logits[${t}]`), t * experts);
      continue;
    }
    let sum = 0;
    for (let e = 0; e < experts; e++) sum += sigmoidScalar(row[e]);
    const denominator = sum + SIGMOID_NORMALIZATION_EPSILON;
    for (let e = 0; e < experts; e++) scores[t * experts + e] = sigmoidScalar(row[e]) / denominator;
  }
  return scores;
}

/** dL/d(logits) [T·N] float64 from dL/d(scores), for the scores of {@link scoresOf}. */
export function scoresBackward(logits: Float32Array, scores: Float64Array, gradScores: Float64Array, tokens: number, experts: number, scoring: LossScoring): Float64Array {
  const grad = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    const base = t * experts;
    const rowScores = scores.subarray(base, base + experts);
    const rowGrad = gradScores.subarray(base, base + experts);
    if (scoring === 'softmax') {
      grad.set(softmaxBackwardValues(rowScores, rowGrad), base);
      continue;
    }
    let dot = 0;
    for (let e = 0; e < experts; e++) dot += rowScores[e] * rowGrad[e];
    let sum = 0;
    for (let e = 0; e < experts; e++) sum += sigmoidScalar(logits[base + e]);
    const denominator = sum + SIGMOID_NORMALIZATION_EPSILON;
    for (let e = 0; e < experts; e++) {
      const s = sigmoidScalar(logits[base + e]);
      grad[base + e] = ((gradScores[base + e] - dot) / denominator) * s * (1 - s);
    }
  }
  return grad;
}

/** Float64 values [T·N] as a float32 tensor [T, N] (one rounding). */
export function toTensor(values: Float64Array, shape: readonly number[]): Tensor {
  return tensor(Float32Array.from(values), shape);
}

/** Per-token routing, read once: which group each token is in, its weight, and its chosen experts. */
export interface Routing {
  tokens: number;
  experts: number;
  k: number;
  /** [T·k] chosen experts (row-major, first choice first). */
  indices: Int32Array;
  /** [T] group of each token, in [0, groups). */
  groupOf: Int32Array;
  groups: number;
  /** [T] token weight m_t (1, or 0 for a masked token). */
  tokenWeight: Float64Array;
}

/**
 * Counts per group and expert, over tokens with m_t ≠ 0: of all k choices ('slots') or of first
 * choices only ('first'), as a [G·N] array.
 */
export function countsPerGroup(routing: Routing, which: 'slots' | 'first'): Float64Array {
  const { tokens, experts, k, indices, groupOf, tokenWeight } = routing;
  const counts = new Float64Array(routing.groups * experts);
  const choices = which === 'slots' ? k : 1;
  for (let t = 0; t < tokens; t++) {
    if (tokenWeight[t] === 0) continue;
    for (let j = 0; j < choices; j++) counts[groupOf[t] * experts + indices[t * k + j]] += 1;
  }
  return counts;
}

/**
 * L = Σ_g Σ_e A_ge · Σ_{t∈g} m_t·p_te and dL/dp (see the file comment). `coefficients` is A [G·N].
 */
export function linearInScores(scores: Float64Array, routing: Routing, coefficients: Float64Array): { loss: number; gradScores: Float64Array } {
  const { tokens, experts, groupOf, tokenWeight } = routing;
  if (coefficients.length !== routing.groups * experts) throw new MoEOracleError('coefficients', `${routing.groups * experts} values`, String(coefficients.length));
  const sums = new Float64Array(routing.groups * experts);
  const gradScores = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    const row = groupOf[t] * experts;
    for (let e = 0; e < experts; e++) {
      sums[row + e] += tokenWeight[t] * scores[t * experts + e];
      gradScores[t * experts + e] = tokenWeight[t] * coefficients[row + e];
    }
  }
  let loss = 0;
  for (let i = 0; i < sums.length; i++) loss += coefficients[i] * sums[i];
  return { loss, gradScores };
}
