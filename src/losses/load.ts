/**
 * Load loss of noisy top-k gating (Shazeer et al., "Outrageously Large Neural Networks",
 * arXiv:1701.06538, Appendix A, eqs. 8-10): the squared coefficient of variation of a smooth,
 * differentiable estimate of how many tokens each expert receives.
 *
 * The router (src/router/noise.ts, kind 'noisy-top-k') ranks the noisy logits
 *   H_te = c_te + ε_te · s_te,   s_te = softplus(r_te) + stddevEpsilon,   ε_te ~ N(0, 1)
 * (c the clean logits x·W_gᵀ, r the noise logits x·W_noiseᵀ) and keeps the k largest. The probability
 * that expert e stays in token t's top k when only its own noise is drawn again is
 *   P_te = Φ((c_te − θ_te) / s_te),   θ_te = the (k+1)-th largest H_t· if H_te is above it (e is in),
 *                                              the k-th largest H_t· otherwise (e is out)
 * (`_prob_in_top_k`: "kth_excluding(H, k, e)" of the paper), Φ the standard normal CDF. Then
 *   Load_e = Σ_t P_te,   L = α · CV²(Load).
 * Two named sources, which differ only in CV²:
 *   'tensor2tensor'  tensor2tensor utils/expert_utils.py `cv_squared`: m = ΣLoad / (N + 1e-10),
 *                    V = Σ (Load_e − m)² / (N + 1e-10), CV² = V / (m² + 1e-10)
 *   'davidmrau'      davidmrau/mixture-of-experts moe.py `cv_squared`: torch `var()` (unbiased,
 *                    / (N − 1)) / (mean² + 1e-10); CV² = 0 when N = 1
 * Both compute P with the same `_prob_in_top_k`, the load only when k < N (with k = N every expert is
 * always in, and they fall back to counting; this function then refuses).
 *
 * Gradient (analytic; the routing, i.e. which entries are in and which expert sets each threshold, is
 * piecewise constant and carries none, as in autograd). With z = (c − θ)/s and φ the normal density:
 *   dP_te/dc_te = φ(z)/s_te,   dP_te/ds_te = −φ(z)·z/s_te,   dP_te/dθ_te = −φ(z)/s_te,
 *   θ_te = H_tj for the expert j at that rank: dθ/dc_tj = 1, dθ/ds_tj = ε_tj,   ds/dr = σ(r).
 * So dL/dc (`gradLogits`, the clean logits) and dL/dr (`gradNoiseLogits`) both collect a term from every
 * entry whose threshold a given expert sets. Chain them through the router's linear layers with
 * `routerLinearBackward` (x·W_gᵀ and x·W_noiseᵀ alike).
 *
 * Numerics: H is recomputed exactly as the router forms it (float64 from the float32 c, ε and the
 * float64 s, rounded to float32 once), so the in/out decisions and thresholds are the router's own;
 * ranks follow the project's tie rule (value descending, then lower index). P, Load, the loss and the
 * gradients are float64 (Φ from erfc, src/tensor/erf.ts); the gradients are rounded to float32 once.
 *
 * Shapes: cleanLogits, noiseLogits, noise [T, N] float32 → loss, load [N], gradLogits, gradNoiseLogits [T, N].
 */
import { sigmoidScalar } from '../tensor/activations.js';
import { erfc } from '../tensor/erf.js';
import { checkFiniteNumber, checkInteger, checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { checkFinite, checkShape, contiguous, tensor, type Tensor } from '../tensor/tensor.js';
import { rankDescending } from '../router/topk.js';
import { noisyLogitValues } from '../router/noise.js';
import { squaredCoefficientOfVariation } from './importance.js';
import { toTensor, type LossResult } from './scores.js';

export type NoisyLoadSource = 'tensor2tensor' | 'davidmrau';
export const NOISY_LOAD_SOURCES: readonly NoisyLoadSource[] = ['tensor2tensor', 'davidmrau'];

/** Options of {@link noisyTopKLoadLoss}. */
export interface NoisyTopKLoadOptions {
  source: NoisyLoadSource;
  /** k, experts per token; must be < N. */
  topK: number;
  /** Added to softplus(r) (the router's `stddevEpsilon`); default 1e-2. */
  stddevEpsilon?: number;
  /** α (Shazeer's w_load); default 1. */
  coefficient?: number;
}

/** The load loss, the smooth load itself, and the gradients to both logits. */
export interface NoisyTopKLoadResult extends LossResult {
  /** [N] Load_e = Σ_t P_te, float64 rounded to float32. */
  load: Tensor;
  /** [T, N] dL/d(noise logits r). */
  gradNoiseLogits: Tensor;
}

/** Standard normal CDF and density, float64. */
const normalCdf = (z: number): number => 0.5 * erfc(-z * Math.SQRT1_2);
const normalDensity = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

/**
 * Shazeer et al.'s load loss of noisy top-k gating and its gradients.
 * cleanLogits, noiseLogits (x·W_noiseᵀ) and noise (the router's ε draws, its `router_noise` output) [T, N].
 */
export function noisyTopKLoadLoss(cleanLogits: Tensor, noiseLogits: Tensor, noise: Tensor, options: NoisyTopKLoadOptions): NoisyTopKLoadResult {
  checkShape('cleanLogits', cleanLogits, ['T', 'N']);
  const [tokens, experts] = cleanLogits.shape;
  checkShape('noiseLogits', noiseLogits, [tokens, experts]);
  checkShape('noise', noise, [tokens, experts]);
  for (const [name, t] of [['cleanLogits', cleanLogits], ['noiseLogits', noiseLogits], ['noise', noise]] as const) checkFinite(name, t);
  if (typeof options !== 'object' || options === null) throw new MoEOracleError('options', 'an options object { source, topK, ... }', String(options));
  const source = checkOneOf('source', options.source, NOISY_LOAD_SOURCES);
  if (experts < 2) throw new MoEOracleError('cleanLogits', 'at least 2 experts (the smooth load needs k < N)', `N = ${experts}`);
  const k = checkInteger('topK', options.topK, 1, experts - 1);
  const stddevEpsilon = checkFiniteNumber('stddevEpsilon', options.stddevEpsilon ?? 1e-2, 0);
  const alpha = checkFiniteNumber('coefficient', options.coefficient ?? 1);
  const c = contiguous(cleanLogits).data;
  const r = contiguous(noiseLogits).data;
  const eps = contiguous(noise).data;

  // The router's noisy logits and the standard deviations, by the router's own arithmetic.
  const { noisy, stddev } = noisyLogitValues(cleanLogits, noiseLogits, noise, stddevEpsilon);
  for (let i = 0; i < stddev.length; i++) {
    if (!(stddev[i] > 0)) throw new MoEOracleError('noiseLogits', 'softplus(r) + stddevEpsilon > 0 (use stddevEpsilon > 0 when r is very negative)', `0 at token ${Math.floor(i / experts)}, expert ${i % experts}`);
  }

  // P_te, and for each entry the expert whose noisy logit is its threshold.
  const probability = new Float64Array(tokens * experts);
  const density = new Float64Array(tokens * experts); // φ(z)/s, the common factor of the gradient
  const standardized = new Float64Array(tokens * experts); // z
  const thresholdExpert = new Int32Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    const row = noisy.subarray(t * experts, (t + 1) * experts);
    const order = rankDescending(row);
    const expertIn = order[k]; // the (k+1)-th largest: the threshold of an expert that is in
    const expertOut = order[k - 1]; // the k-th largest: the threshold of an expert that is out
    for (let e = 0; e < experts; e++) {
      const i = t * experts + e;
      const j = row[e] > row[expertIn] ? expertIn : expertOut;
      const z = (c[i] - row[j]) / stddev[i];
      probability[i] = normalCdf(z);
      density[i] = normalDensity(z) / stddev[i];
      standardized[i] = z;
      thresholdExpert[i] = j;
    }
  }

  const load = new Float64Array(experts);
  for (let t = 0; t < tokens; t++) for (let e = 0; e < experts; e++) load[e] += probability[t * experts + e];
  const cv = source === 'tensor2tensor' ? squaredCoefficientOfVariation(load, experts + 1e-10, 1e-10, experts + 1e-10) : squaredCoefficientOfVariation(load, experts - 1, 1e-10);

  // Backward: dL/dP_te = α·dCV²/dLoad_e, then to c, s (own and the threshold's) and r.
  const gradClean = new Float64Array(tokens * experts);
  const gradStddev = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    for (let e = 0; e < experts; e++) {
      const i = t * experts + e;
      const gradP = alpha * cv.grad[e];
      const j = t * experts + thresholdExpert[i];
      gradClean[i] += gradP * density[i];
      gradStddev[i] -= gradP * density[i] * standardized[i];
      gradClean[j] -= gradP * density[i];
      gradStddev[j] -= gradP * density[i] * eps[j];
    }
  }
  const gradNoise = Float64Array.from(gradStddev, (g, i) => g * sigmoidScalar(r[i]));
  return {
    loss: alpha * cv.value,
    load: tensor(Float32Array.from(load), [experts]),
    gradLogits: toTensor(gradClean, [tokens, experts]),
    gradNoiseLogits: toTensor(gradNoise, [tokens, experts]),
  };
}
