/**
 * The MoE layer (Shazeer et al. 2017; GShard; Switch; Mixtral; DeepSeekMoE; Qwen2-MoE):
 *
 *   router:    indices [T, k], weights [T, k] = route(x)
 *   dispatch:  each expert runs once on the batch of tokens that chose it
 *   combine:   y_t = Σ_{j<k} w_{t,j} · E_{idx(t,j)}(x_t)  +  g_t · S(x_t)
 *
 * where S is the optional shared expert every token passes through (DeepSeekMoE) and g_t = 1, or
 * g_t = sigmoid(x_t · w_gate) with Qwen2-MoE's `shared_expert_gate`.
 * Dense mode runs every expert on every token and weights it by its router score (k = N, no
 * normalisation), the "soft" mixture of Jacobs et al. 1991.
 *
 * Combine order and precision: for each token and feature, the k routed terms are added in rank order
 * (j = 0 … k−1, i.e. descending router score), then the shared term, all in float64, and the sum is
 * rounded to float32 once. Each term is a float32 weight times a float32 expert output, exact in
 * float64, so the order only moves the float64 sum by float64 rounding and, except in vanishingly rare
 * cases, not the float32 result. (Hugging Face and DeepSeek's reference add in expert-index order in
 * the activation dtype; Megatron uses an unordered scatter-add.)
 *
 *   x [T, H]  →  output [T, H], plus the router's outputs and tokensPerExpert [N]
 */
import { sigmoidScalar } from '../tensor/activations.js';
import { linearUnchecked } from '../tensor/linear.js';
import { MoEOracleError } from '../tensor/errors.js';
import { checkFinite, checkShape, contiguous, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { route, type RouterOutput, type RouterParams } from '../router/router.js';
import { swiGLUUnchecked, type SwiGLUParams } from '../experts/swiglu.js';
import { ffnUnchecked, type FFNActivation, type FFNParams } from '../experts/ffn.js';
import { resolveMoEConfig, type MoEConfig, type ResolvedMoEConfig } from './config.js';
import { moeParameterNames, type ExpertNames } from './names.js';
import { requireParam, type StateDict } from './params.js';
import { dispatchByExpert, gatherTokens, scatterToSlots } from './dispatch.js';

/** Options of one forward pass. */
export interface MoEForwardOptions {
  /**
   * [T, k] int32: use these experts instead of the router's choice (Megatron's router replay), e.g.
   * to replay a backend's own routing. Weights are recomputed for these experts by the configured
   * normalisation; `router.margins` still describes the router's own ranking.
   */
  routingOverride?: IntTensor;
}

/** Output of one forward pass. */
export interface MoEOutput {
  /** [T, H] the layer output. */
  output: Tensor;
  /** Router outputs (logits, scores, topkIndices, topkWeights, margins). In dense mode k = N. */
  router: RouterOutput;
  /** [N] int32 number of tokens each expert processed. */
  tokensPerExpert: IntTensor;
  /** [T, H] the shared expert's output before its gate, when the layer has one. */
  sharedExpertOutput?: Tensor;
  /** [T] the shared expert's sigmoid gate, when the layer has one. */
  sharedExpertGate?: Tensor;
}

/** A runnable expert: its forward function on a batch [n, H] → [n, H]. */
type ExpertRunner = (batch: Tensor) => Tensor;

/**
 * Looks an expert's matrices up and checks their shapes now (a missing or misshapen expert is an
 * error even if no token picks it); their values are checked for NaN/Infinity on the expert's first
 * batch, so a forward pass reads only the weights of the experts that work (cost ∝ T·k, not N).
 */
function loadExpert(params: StateDict, names: ExpertNames, config: ResolvedMoEConfig, intermediate: number): ExpertRunner {
  const H = config.hiddenSize;
  const hint = ` (naming scheme '${config.naming}'; set config.naming to match your state dict)`;
  const gate = contiguous(requireParam(params, names.gate, [intermediate, H], hint));
  const down = contiguous(requireParam(params, names.down, [H, intermediate], hint));
  const up = config.expertKind === 'swiglu' ? contiguous(requireParam(params, names.up!, [intermediate, H], hint)) : undefined;
  let checked = false;
  const checkValuesOnce = () => {
    if (checked) return;
    for (const [name, matrix] of [[names.gate, gate], [names.down, down], [names.up, up]] as const) {
      if (name !== undefined && matrix !== undefined) checkFinite(`params["${name}"]`, matrix);
    }
    checked = true;
  };
  if (up !== undefined) {
    const swiglu: SwiGLUParams = { w1: gate, w3: up, w2: down };
    return (batch) => (checkValuesOnce(), swiGLUUnchecked(batch, swiglu));
  }
  const ffnParams: FFNParams = { wi: gate, wo: down };
  const activation = config.expertKind as FFNActivation;
  return (batch) => (checkValuesOnce(), ffnUnchecked(batch, ffnParams, activation));
}

/** The router's parameters of a layer, looked up by their names and checked. */
export function routerParamsOf(params: StateDict, config: ResolvedMoEConfig): RouterParams {
  const names = moeParameterNames(config);
  const { hiddenSize: H, numExperts: N } = config;
  return {
    weight: requireParam(params, names.routerWeight, [N, H]),
    bias: config.routerBias ? requireParam(params, names.routerBias, [N]) : undefined,
    scoreCorrectionBias: config.scoreCorrectionBias ? requireParam(params, names.scoreCorrectionBias, [N]) : undefined,
  };
}

/** Runs the MoE layer on x [T, H]. */
export function moeForward(x: Tensor, params: StateDict, config: MoEConfig, options: MoEForwardOptions = {}): MoEOutput {
  const resolved = resolveMoEConfig(config);
  const names = moeParameterNames(resolved);
  const { hiddenSize: H, numExperts: N } = resolved;
  checkShape('x', x, ['T', H]);
  checkFinite('x', x);
  const input = contiguous(x);
  const T = input.shape[0];

  // 1. Route. Dense mode: every expert, weighted by its raw score, in rank order.
  const dense = resolved.mode === 'dense';
  if (dense && options.routingOverride !== undefined) {
    throw new MoEOracleError('routingOverride', "no override in dense mode (every expert runs)", 'an override');
  }
  const routerParams = routerParamsOf(params, resolved);
  const routerOptions = dense
    ? { ...resolved.router, topK: N, normalization: 'none' as const, routedScalingFactor: 1 }
    : resolved.router;
  const router = route(input, routerParams, routerOptions, options.routingOverride);
  const k = routerOptions.topK;

  // 2. Dispatch and run each expert once on its batch of tokens.
  const experts = Array.from({ length: N }, (_, e) => loadExpert(params, names.expert(e), resolved, resolved.expertIntermediateSize));
  const { tokensPerExpert, slotsOfExpert } = dispatchByExpert(router.topkIndices, N);
  const slotOutputs = new Float32Array(T * k * H);
  for (let e = 0; e < N; e++) {
    const slots = slotsOfExpert[e];
    if (slots.length > 0) scatterToSlots(experts[e](gatherTokens(input, slots, k)), slots, slotOutputs);
  }

  // 3. Shared expert on every token, with its optional sigmoid gate g_t (1 without a gate).
  let sharedExpertOutput: Tensor | undefined;
  let sharedGate: Tensor | undefined;
  if (resolved.sharedExpertIntermediateSize > 0) {
    sharedExpertOutput = loadExpert(params, names.sharedExpert, resolved, resolved.sharedExpertIntermediateSize)(input);
    const gate = new Float32Array(T).fill(1);
    if (resolved.sharedExpertGate) {
      const gateWeight = contiguous(requireParam(params, names.sharedExpertGate, [1, H]));
      checkFinite(`params["${names.sharedExpertGate}"]`, gateWeight);
      const gateLogits = linearUnchecked(input, gateWeight);
      for (let t = 0; t < T; t++) gate[t] = sigmoidScalar(gateLogits.data[t]);
    }
    sharedGate = tensor(gate, [T]);
  }

  // 4. Combine.
  const result: MoEOutput = { output: combine(router.topkWeights, slotOutputs, sharedExpertOutput, sharedGate), router, tokensPerExpert };
  if (sharedExpertOutput !== undefined) result.sharedExpertOutput = sharedExpertOutput;
  if (resolved.sharedExpertGate) result.sharedExpertGate = sharedGate;
  return result;
}

/**
 * y[t, h] = Σ_j weights[t, j] · slotOutputs[t·k + j, h]  (+ sharedGate[t] · shared[t, h]),
 * summed in that order in float64 and rounded to float32 once.
 */
export function combine(weights: Tensor, slotOutputs: Float32Array, shared?: Tensor, sharedGate?: Tensor): Tensor {
  const [T, k] = weights.shape;
  const H = slotOutputs.length / (T * k);
  const output = new Float32Array(T * H);
  const w = weights.data;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += w[t * k + j] * slotOutputs[(t * k + j) * H + h];
      if (shared !== undefined && sharedGate !== undefined) sum += sharedGate.data[t] * shared.data[t * H + h];
      output[t * H + h] = sum;
    }
  }
  return tensor(output, [T, H]);
}
