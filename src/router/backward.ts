/**
 * The router's backward: given dL/d(top-k weights), the gradient to the router logits for each score
 * function and weight normalisation of router.ts, and from the logits through the gate's linear layer
 * to gate.weight, gate.bias and x. The selection (top-k indices) is an input and not differentiable,
 * so the score-correction bias (selection only) has no gradient and changes the result only through
 * which experts were chosen.
 *
 * Forward, per token (router.ts): s = softmax(z) over the N experts, or σ(z) per expert; chosen experts
 * e_1..e_k; c = routedScalingFactor; g_j = dL/dw_j. Backward to the chosen scores s_j = s_{e_j}:
 *   'none'          w_j = c·s_j                    dL/ds_i = c·g_i
 *   'sum'           w_j = c·s_j / D, D = Σ s + ε   dL/ds_i = c·(g_i − Σ_j g_j·s_j/D) / D
 *   'pnorm'         w_j = c·s_j / ν, ν = (Σ s^p)^(1/p)
 *                                                  dL/ds_i = c·(g_i/ν − (Σ_j g_j·s_j)/ν² · s_i^(p−1)·ν^(1−p))
 *   'softmax-topk'  w = c·softmax(z_chosen)        dL/dz_i = c·w'_i·(g_i − Σ_j w'_j g_j), w' = w/c,
 *                                                  straight to the chosen logits (gpt-oss, Megatron
 *                                                  default: top-k then softmax)
 * then scores to logits (experts not chosen get dL/ds = 0):
 *   softmax         dL/dz_e = s_e·(dL/ds_e − Σ_j s_j·dL/ds_j)   (softmax-then-top-k: Mixtral, DeepSeek-V2)
 *   sigmoid         dL/dz_e = dL/ds_e · s_e·(1 − s_e)          (DeepSeek-V3 with 'sum', ε and c = 2.5)
 * and through logits = x·Wᵀ + b:
 *   dL/dx = dL/dz · W   [T, H],   dL/dW = (dL/dz)ᵀ · x   [N, H],   dL/db = Σ_t dL/dz_t   [N]
 *
 * These are the gradients of TransformerEngine's fused `fused_topk_with_score_function` backward and of
 * autograd through Megatron-LM `topk_routing_with_score_function` / HF routers.
 *
 * Numerics: scores are recomputed in float64 from the float32 logits (the forward rounds them to float32
 * first; the difference is one float32 rounding of the scores); every sum is float64 in index order
 * (experts, then tokens) and each output is rounded to float32 once.
 *
 * Shapes: logits [T, N] float32, topkIndices [T, k] int32, gradTopkWeights [T, k] float32,
 * x [T, H], weight [N, H], gradLogits [T, N].
 */
import { sigmoidScalar } from '../tensor/activations.js';
import { MoEOracleError } from '../tensor/errors.js';
import { softmaxValues } from '../tensor/softmax.js';
import { checkFinite, checkShape, contiguous, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { normalizeWeights, resolveRouterConfig, type ResolvedRouterConfig, type RouterConfig } from './router.js';
import { checkSelection } from './topk.js';

/** Backward of softmax: p_i·(g_i − Σ_j p_j·g_j), float64. */
export function softmaxBackwardValues(probs: ArrayLike<number>, gradProbs: ArrayLike<number>): Float64Array {
  let dot = 0;
  for (let i = 0; i < probs.length; i++) dot += probs[i] * gradProbs[i];
  return Float64Array.from({ length: probs.length }, (_, i) => probs[i] * (gradProbs[i] - dot));
}

interface RouterInputs {
  logits: Float32Array;
  indices: Int32Array;
  tokens: number;
  experts: number;
  k: number;
  options: ResolvedRouterConfig;
}

function readRouterInputs(logits: Tensor, topkIndices: IntTensor, options: RouterConfig): RouterInputs {
  checkShape('logits', logits, ['T', 'N']);
  checkFinite('logits', logits);
  const [tokens, experts] = logits.shape;
  const resolved = resolveRouterConfig(options, experts);
  if (resolved.kind !== undefined && resolved.kind !== 'token-choice') {
    throw new MoEOracleError('routerOptions', 'a token-choice router (the backward of expert choice and Soft MoE is not built)', resolved.kind === 'expert-choice' ? 'expertChoice' : 'softMoE');
  }
  checkShape('topkIndices', topkIndices, [tokens, resolved.topK], { kind: 'int32' });
  checkSelection('topkIndices', topkIndices, tokens, resolved.topK, experts);
  return { logits: contiguous(logits).data, indices: contiguous(topkIndices).data, tokens, experts, k: resolved.topK, options: resolved };
}

/** Float64 scores of one token's logits. */
function scoresOfRow(row: Float32Array, options: ResolvedRouterConfig, token: number): Float64Array {
  return options.scoring === 'softmax' ? softmaxValues(row, `logits[${token}]`) : Float64Array.from(row, sigmoidScalar);
}

/**
 * The router's top-k weights recomputed in float64 from float32 logits and a given selection: the
 * forward whose derivative {@link routerBackward} returns (router.ts's `normalizeWeights` on float64
 * scores). Returns [T·k] float64.
 */
export function routerWeightsFromLogits(logits: Tensor, topkIndices: IntTensor, options: RouterConfig): Float64Array {
  const { logits: z, indices, tokens, experts, k, options: resolved } = readRouterInputs(logits, topkIndices, options);
  const weights = new Float64Array(tokens * k);
  for (let t = 0; t < tokens; t++) {
    const scores = scoresOfRow(z.subarray(t * experts, (t + 1) * experts), resolved, t);
    const chosen = Array.from({ length: k }, (_, j) => indices[t * k + j]);
    weights.set(normalizeWeights(chosen.map((e) => scores[e]), chosen.map((e) => z[t * experts + e]), resolved, t), t * k);
  }
  return weights;
}

/**
 * dL/d(logits) [T, N] of the router's top-k weights, given dL/d(weights) [T, k].
 * @param options the router options of the forward (scoring, normalization, ε, p, routedScalingFactor, topK).
 * @throws MoEOracleError for shapes that differ, indices out of range or repeated, non-finite values,
 *   or a zero normaliser.
 */
export function routerBackward(logits: Tensor, topkIndices: IntTensor, gradTopkWeights: Tensor, options: RouterConfig): { gradLogits: Tensor } {
  const { logits: z, indices, tokens, experts, k, options: resolved } = readRouterInputs(logits, topkIndices, options);
  checkShape('gradTopkWeights', gradTopkWeights, [tokens, k]);
  checkFinite('gradTopkWeights', gradTopkWeights);
  const g = contiguous(gradTopkWeights).data;
  const c = resolved.routedScalingFactor;
  const grad = new Float64Array(tokens * experts);
  for (let t = 0; t < tokens; t++) {
    const row = z.subarray(t * experts, (t + 1) * experts);
    const chosen = Array.from({ length: k }, (_, j) => indices[t * k + j]);
    const gradWeights = Array.from({ length: k }, (_, j) => g[t * k + j]);
    if (resolved.normalization === 'softmax-topk') {
      const chosenProbs = softmaxValues(chosen.map((e) => row[e]), `logits[${t}]`);
      softmaxBackwardValues(chosenProbs, gradWeights).forEach((d, j) => (grad[t * experts + chosen[j]] = c * d));
      continue;
    }
    const scores = scoresOfRow(row, resolved, t);
    const s = chosen.map((e) => scores[e]);
    normalizeWeights(s, [], resolved, t); // the forward's checks (a zero normaliser throws)
    const gradChosen = chosenScoresBackward(s, gradWeights, resolved);
    const gradScores = new Float64Array(experts);
    chosen.forEach((e, j) => (gradScores[e] = gradChosen[j]));
    const gradRow =
      resolved.scoring === 'softmax' ? softmaxBackwardValues(scores, gradScores) : Float64Array.from(gradScores, (d, e) => d * scores[e] * (1 - scores[e]));
    grad.set(gradRow, t * experts);
  }
  return { gradLogits: tensor(Float32Array.from(grad), [tokens, experts]) };
}

/** dL/d(chosen scores) for 'none', 'sum' and 'pnorm' (file comment). */
function chosenScoresBackward(s: number[], g: number[], options: ResolvedRouterConfig): Float64Array {
  const c = options.routedScalingFactor;
  const k = s.length;
  let gs = 0;
  for (let j = 0; j < k; j++) gs += g[j] * s[j];
  switch (options.normalization) {
    case 'none':
      return Float64Array.from(g, (gi) => c * gi);
    case 'sum': {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += s[j];
      const D = sum + options.normalizationEpsilon;
      return Float64Array.from(g, (gi) => (c * (gi - gs / D)) / D);
    }
    case 'pnorm': {
      const p = options.pnormP;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.abs(s[j]) ** p;
      const norm = sum ** (1 / p);
      return Float64Array.from(g, (gi, i) => c * (gi / norm - (gs / (norm * norm)) * Math.sign(s[i]) * Math.abs(s[i]) ** (p - 1) * norm ** (1 - p)));
    }
    default:
      throw new MoEOracleError('normalization', "'none', 'sum' or 'pnorm' here", options.normalization);
  }
}

/**
 * Backward of the gate's linear layer logits = x·Wᵀ (+ b), from dL/d(logits).
 * @param x [T, H] router input. @param weight [N, H] gate.weight. @param gradLogits [T, N].
 * @returns gradX [T, H] = gradLogits·W, gradWeight [N, H] = gradLogitsᵀ·x, gradBias [N] = Σ_t gradLogits.
 */
export function routerLinearBackward(x: Tensor, weight: Tensor, gradLogits: Tensor): { gradX: Tensor; gradWeight: Tensor; gradBias: Tensor } {
  checkShape('x', x, ['T', 'H']);
  const [tokens, hidden] = x.shape;
  checkShape('gate.weight', weight, ['N', hidden]);
  const experts = weight.shape[0];
  checkShape('gradLogits', gradLogits, [tokens, experts]);
  for (const [name, t] of [['x', x], ['gate.weight', weight], ['gradLogits', gradLogits]] as const) checkFinite(name, t);
  const xs = contiguous(x).data;
  const w = contiguous(weight).data;
  const g = contiguous(gradLogits).data;
  const gradX = new Float32Array(tokens * hidden);
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < hidden; h++) {
      let sum = 0;
      for (let e = 0; e < experts; e++) sum += g[t * experts + e] * w[e * hidden + h];
      gradX[t * hidden + h] = sum;
    }
  }
  const gradWeight = new Float32Array(experts * hidden);
  const gradBias = new Float32Array(experts);
  for (let e = 0; e < experts; e++) {
    let biasSum = 0;
    for (let t = 0; t < tokens; t++) biasSum += g[t * experts + e];
    gradBias[e] = biasSum;
    for (let h = 0; h < hidden; h++) {
      let sum = 0;
      for (let t = 0; t < tokens; t++) sum += g[t * experts + e] * xs[t * hidden + h];
      gradWeight[e * hidden + h] = sum;
    }
  }
  return { gradX: tensor(gradX, [tokens, hidden]), gradWeight: tensor(gradWeight, [experts, hidden]), gradBias: tensor(gradBias, [experts]) };
}
