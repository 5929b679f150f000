/**
 * Router noise, two named kinds, each drawn from the keyed Philox PRNG (src/tensor/prng.ts) with an
 * explicit seed, so a noisy routing is reproducible bit for bit and another language can regenerate it.
 *
 *   'jitter'       x_router = x ⊙ u,  u ~ U(1 − ε, 1 + ε)  per element of x [T, H]      (stream "router.jitter")
 *                  Switch Transformers (Hugging Face SwitchTransformersTop1Router._compute_router_probabilities,
 *                  `router_jitter_noise`; flaxformer routing.py Router, `jitter_noise`), Mixtral
 *                  (`router_jitter_noise`), Megatron (`moe_input_jitter_eps`), DeepSpeed ('Jitter').
 *                  The jittered copy feeds the router only: the experts keep the original x. (Hugging
 *                  Face multiplied x in place, so the experts saw it too: transformers #33969 for Switch;
 *                  Mixtral and DBRX do the same. To reproduce that behaviour, jitter x yourself and call the
 *                  layer without noise.)
 *   'noisy-top-k'  H = x·W_gᵀ + ε ⊙ (softplus(x·W_noiseᵀ) + stddevEpsilon),  ε ~ N(0, 1) per [T, N]
 *                  (stream "router.noise"); keep the k largest of H, weights from H (the paper: softmax
 *                  over the k kept, i.e. normalization 'softmax-topk').
 *                  Shazeer et al. 2017, "Outrageously Large Neural Networks", eq. (3)–(5) (stddevEpsilon 0);
 *                  tensor2tensor expert_utils.py noisy_top_k_gating and davidmrau/mixture-of-experts moe.py
 *                  noisy_top_k_gating add noise_epsilon = 1e-2 to the standard deviation (the default here).
 *                  W_noise is "gate.w_noise" [N, H] in Linear layout (the transpose of their `w_noise`
 *                  [H, N], as "gate.weight" is the transpose of their `w_gate`).
 *
 * Both take `enabled` (default true): false is evaluation mode (Hugging Face `self.training`, the
 * `train` flag of tensor2tensor), where the router is the plain router, bit for bit.
 *
 * Numerics. Jitter: u is randomUniform's float32 draw (exact in any language), x·u is formed in
 * float64 and rounded to float32 once (PyTorch's float32 `*=`). Noisy top-k: x·W_noiseᵀ is a backend
 * `linear` (float32); softplus(n) = max(n, 0) + log1p(exp(−|n|)) in float64; ε is randomNormal's float32
 * draw (Box–Muller, see prng.ts); H is formed in float64 from the float32 clean logit, ε and the float64
 * standard deviation, and rounded to float32 once. Selection and weights then use H as the logits and
 * scoring(H) (float64 softmax rows or sigmoids, rounded once) as the scores, on the CPU.
 *
 * Shapes: x [T, H] → multipliers [T, H]; clean logits, noise logits [T, N] → noise [T, N],
 * noiseStddev [T, N], noisyLogits [T, N].
 */
import { checkBoolean, checkFiniteNumber, checkInteger, checkOneOf, checkPlainObject, describe, MoEOracleError } from '../tensor/errors.js';
import { randomNormal, randomUniform } from '../tensor/prng.js';
import { sigmoidScalar } from '../tensor/activations.js';
import { softmaxValues } from '../tensor/softmax.js';
import { contiguous, sizeOf, tensor, type Tensor } from '../tensor/tensor.js';

export type NoiseKind = 'jitter' | 'noisy-top-k';
export const NOISE_KINDS: readonly NoiseKind[] = ['jitter', 'noisy-top-k'];

/** `router.noise`: multiplicative jitter on the router's input. Hugging Face key in brackets. */
export interface JitterNoiseConfig {
  kind: 'jitter';
  /** ε in [0, 1): u ~ U(1 − ε, 1 + ε) [router_jitter_noise]. */
  epsilon: number;
  /** uint32 seed of the "router.jitter" stream. */
  seed: number;
  /** Default true; false: no noise (evaluation). */
  enabled?: boolean;
}

/** `router.noise`: Shazeer et al.'s noisy top-k gating with a learned noise scale ("gate.w_noise"). */
export interface NoisyTopKConfig {
  kind: 'noisy-top-k';
  /** uint32 seed of the "router.noise" stream. */
  seed: number;
  /** Added to softplus(x·W_noiseᵀ); default 1e-2 (tensor2tensor, davidmrau); the paper uses 0. */
  stddevEpsilon?: number;
  /** Default true; false: no noise (evaluation). */
  enabled?: boolean;
}

export type NoiseConfig = JitterNoiseConfig | NoisyTopKConfig;
/** A noise config checked, defaults filled in. */
export type ResolvedNoiseConfig = Required<JitterNoiseConfig> | Required<NoisyTopKConfig>;

/** The noise a routing drew, for golden files and explanations. */
export interface NoiseOutput {
  /** Jitter: [T, H] the multipliers u. */
  jitter?: Tensor;
  /** Noisy top-k: [T, N] the standard normal draws ε. */
  noise?: Tensor;
  /** Noisy top-k: [T, N] softplus(x·W_noiseᵀ) + stddevEpsilon, rounded to float32. */
  noiseStddev?: Tensor;
  /** Noisy top-k: [T, N] H, the logits selection and weights ran on. */
  noisyLogits?: Tensor;
}

/** Checks `router.noise`. */
export function resolveNoiseConfig(config: NoiseConfig, where: string): ResolvedNoiseConfig {
  checkPlainObject(where, config, ['kind', 'epsilon', 'seed', 'stddevEpsilon', 'enabled']);
  const kind = checkOneOf(`${where}.kind`, config.kind, NOISE_KINDS);
  const seed = checkInteger(`${where}.seed`, config.seed, 0, 0xffffffff);
  const enabled = checkBoolean(`${where}.enabled`, config.enabled, true);
  if (kind === 'jitter') {
    if ((config as NoisyTopKConfig).stddevEpsilon !== undefined) throw new MoEOracleError(`${where}.stddevEpsilon`, "no stddevEpsilon with kind 'jitter'", String((config as NoisyTopKConfig).stddevEpsilon));
    const epsilon = checkFiniteNumber(`${where}.epsilon`, (config as JitterNoiseConfig).epsilon, 0);
    if (!(epsilon < 1)) throw new MoEOracleError(`${where}.epsilon`, 'a number in [0, 1) (the multipliers U(1 − ε, 1 + ε) must stay positive)', String(epsilon));
    return { kind, epsilon, seed, enabled };
  }
  if ((config as JitterNoiseConfig).epsilon !== undefined) throw new MoEOracleError(`${where}.epsilon`, "no epsilon with kind 'noisy-top-k' (its noise scale is learned: gate.w_noise)", String((config as JitterNoiseConfig).epsilon));
  return { kind, seed, enabled, stddevEpsilon: checkFiniteNumber(`${where}.stddevEpsilon`, (config as NoisyTopKConfig).stddevEpsilon ?? 1e-2, 0) };
}

/** The jitter multipliers u ~ U(1 − ε, 1 + ε) [T, H] of stream "router.jitter" (all 1 when ε = 0). */
export function jitterMultipliers(shape: readonly [number, number], epsilon: number, seed: number): Tensor {
  if (!Array.isArray(shape) || shape.length !== 2) throw new MoEOracleError('shape', 'a shape [T, H]', describe(shape));
  sizeOf(shape);
  if (!(checkFiniteNumber('epsilon', epsilon, 0) < 1)) throw new MoEOracleError('epsilon', 'a number in [0, 1)', String(epsilon));
  checkInteger('seed', seed, 0, 0xffffffff);
  if (epsilon === 0) return tensor(new Float32Array(shape[0] * shape[1]).fill(1), [...shape]);
  return randomUniform(shape, { seed, name: 'router.jitter', low: 1 - epsilon, high: 1 + epsilon });
}

/**
 * The router's copy of the input: x ⊙ u with jitter (enabled), else x itself. The experts are given
 * the original x by the layer. x [T, H] → { routerInput [T, H], multipliers [T, H]? }.
 */
export function routerInputOf(x: Tensor, noise: ResolvedNoiseConfig | undefined): { routerInput: Tensor; multipliers?: Tensor } {
  if (noise === undefined || noise.kind !== 'jitter' || !noise.enabled) return { routerInput: x };
  const [tokens, hidden] = x.shape;
  const multipliers = jitterMultipliers([tokens, hidden], noise.epsilon, noise.seed);
  const source = contiguous(x).data;
  const out = new Float32Array(source.length);
  for (let i = 0; i < out.length; i++) out[i] = source[i] * multipliers.data[i];
  return { routerInput: tensor(out, [tokens, hidden]), multipliers };
}

/** softplus(n) = ln(1 + eⁿ) in float64, without overflow: max(n, 0) + log1p(exp(−|n|)). */
export function softplus(n: number): number {
  return Math.max(n, 0) + Math.log1p(Math.exp(-Math.abs(n)));
}

/**
 * The arithmetic of noisy top-k's logits, shared by the router and the load loss (losses/load.ts), so
 * both form H bit for bit alike: s = softplus(noiseLogits) + stddevEpsilon in float64, H = clean + ε·s
 * formed in float64 and rounded to float32 once. clean, noiseLogits, epsilon [T, N] float32.
 */
export function noisyLogitValues(clean: Tensor, noiseLogits: Tensor, epsilon: Tensor, stddevEpsilon: number): { noisy: Float32Array; stddev: Float64Array } {
  const cleanData = contiguous(clean).data;
  const raw = contiguous(noiseLogits).data;
  const draws = contiguous(epsilon).data;
  const noisy = new Float32Array(cleanData.length);
  const stddev = new Float64Array(cleanData.length);
  for (let i = 0; i < noisy.length; i++) {
    stddev[i] = softplus(raw[i]) + stddevEpsilon;
    noisy[i] = cleanData[i] + draws[i] * stddev[i];
  }
  return { noisy, stddev };
}

/**
 * Noisy top-k's logits: H = clean + ε ⊙ (softplus(noiseLogits) + stddevEpsilon), and the scores of H
 * under the router's scoring. clean, noiseLogits [T, N] float32.
 */
export function noisyLogitsOf(clean: Tensor, noiseLogits: Tensor, noise: Required<NoisyTopKConfig>, scoring: 'softmax' | 'sigmoid'): { logits: Tensor; scores: Tensor; output: NoiseOutput } {
  const [tokens, numExperts] = clean.shape;
  const epsilon = randomNormal([tokens, numExperts], { seed: noise.seed, name: 'router.noise' });
  const { noisy, stddev: sigma } = noisyLogitValues(clean, noiseLogits, epsilon, noise.stddevEpsilon);
  const stddev = Float32Array.from(sigma);
  const scores = new Float32Array(tokens * numExperts);
  for (let t = 0; t < tokens; t++) {
    const row = noisy.subarray(t * numExperts, (t + 1) * numExperts);
    if (scoring === 'softmax') scores.set(softmaxValues(row, `noisy logits[${t}]`), t * numExperts);
    else for (let e = 0; e < numExperts; e++) scores[t * numExperts + e] = sigmoidScalar(row[e]);
  }
  const logits = tensor(noisy, [tokens, numExperts]);
  return { logits, scores: tensor(scores, [tokens, numExperts]), output: { noise: epsilon, noiseStddev: tensor(stddev, [tokens, numExperts]), noisyLogits: logits } };
}
