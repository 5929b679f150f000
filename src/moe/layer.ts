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
 *
 * Stages (src/backends/kernels.ts says why): the router's scores on the backend → selection on the
 * CPU → experts and combine on the backend. `moeForward` joins them with `readSync`,
 * `moeForwardAsync` with `await read`; both run the same stage functions below.
 *
 * Two other routings run through the same entries, chosen by the config's router: expert choice
 * (`router.expertChoice`: the same scores, each expert takes its top-c tokens on the CPU, then
 * expert-choice.ts's expert stage) and Soft MoE (`router.softMoE`: no selection, every stage on the
 * backend, soft-moe.ts).
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { backendOf, synchronousBackendOf } from '../backends/registry.js';
import { checkOptions, MoEOracleError } from '../tensor/errors.js';
import { checkWeightFiniteOnce } from '../tensor/validated.js';
import { checkFinite, checkProducedFinite, checkShape, contiguous, intTensor, reshape, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { readRouterScores, readRouterScoresSync, routerScoresOnDevice, selectExperts, type ResolvedRouterConfig, type RouteOptions, type RouterOutput, type RouterParams } from '../router/router.js';
import { routerInputOf } from '../router/noise.js';
import { gptOssExpertOnDevice, splitFusedExpert } from '../experts/gpt-oss.js';
import { swiGLUOnDevice } from '../experts/swiglu.js';
import { ffnOnDevice } from '../experts/ffn.js';
import { resolveMoEConfig, type MoEConfig, type ResolvedMoEConfig } from './config.js';
import { moeParameterNames, type ExpertNames } from './names.js';
import { requireParam, type StateDict } from './params.js';
import { dispatchByExpert, tokenRowsOfSlots } from './dispatch.js';
import { checkKeptOverride, checkRoutingOverride } from '../router/router.js';
import { SOFT_MOE_PARAMETER_NAMES, type SoftMoERouterParams } from '../router/soft-moe.js';
import { expertChoiceOutputOnDevice } from './expert-choice.js';
import { softMoEOutputOf, softMoEStage, softMoEStageTensors, type SoftMoEOutput, type SoftMoEStage, type SoftMoEStageRead } from './soft-moe.js';

/** Options of one forward pass: the backend, and a routing override (Megatron's router replay). */
export type MoEForwardOptions = RouteOptions;

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
  /**
   * Soft MoE (`router.softMoE`): logits, dispatch and combine weights [T, E·S], slot inputs and outputs
   * [E·S, H]. `router` then holds the slot logits, `scores` = `selectionScores` = the combine weights
   * (softmax of each token's logits), empty [T, 0] top-k tensors and margins +Infinity (nothing is
   * selected, so nothing can flip); `tokensPerExpert` is S for every expert.
   */
  softMoE?: SoftMoEOutput;
}

/** One expert's matrices, shape-checked; their values are checked when the expert first runs. */
interface ExpertWeights {
  names: ExpertNames;
  /** SwiGLU gate projection (w1) or FFN input projection (wi), [I, H]. */
  gate: Tensor;
  /** SwiGLU up projection (w3), [I, H]; absent for the classic FFN. */
  up?: Tensor;
  /** Down / output projection, [H, I]. */
  down: Tensor;
  /** gpt-oss's biases: gate [I], up [I], down [H]. */
  gateBias?: Tensor;
  upBias?: Tensor;
  downBias?: Tensor;
}

/** A layer call checked at the public boundary: everything the stages need. */
interface CheckedLayer {
  config: ResolvedMoEConfig;
  /** The router's config for this call (dense mode: k = N, raw scores). */
  routerConfig: ResolvedRouterConfig;
  x: Tensor;
  /** The router's parameters (token and expert choice). */
  routerParams?: RouterParams;
  /** Soft MoE's router parameters (router.mu, router.scale). */
  softMoE?: SoftMoERouterParams;
  experts: ExpertWeights[];
  shared?: { weights: ExpertWeights; gateWeight?: Tensor };
  routingOverride?: IntTensor;
  keptOverride?: IntTensor;
}

/**
 * Looks an expert's matrices up and checks their shapes now (a missing or misshapen expert is an
 * error even if no token picks it); their values are checked for NaN/Infinity when the expert first
 * runs, so a forward pass reads only the weights of the experts that work (cost ∝ T·k, not N).
 */
function loadExpert(params: StateDict, names: ExpertNames, config: ResolvedMoEConfig, intermediate: number): ExpertWeights {
  const H = config.hiddenSize;
  const hint = ` (naming scheme '${config.naming}'; set config.naming to match your state dict)`;
  const fused = names.fused;
  if (fused !== undefined) {
    // gpt-oss / Llama 4: slice expert `index` out of the 3-D checkpoint tensors (experts/gpt-oss.ts).
    const [N, I] = [config.numExperts, intermediate];
    const tensors = {
      gateUp: requireParam(params, fused.gateUp, [N, H, 2 * I], hint),
      down: requireParam(params, fused.down, [N, I, H], hint),
      gateUpBias: fused.gateUpBias === undefined ? undefined : requireParam(params, fused.gateUpBias, [N, 2 * I], hint),
      downBias: fused.downBias === undefined ? undefined : requireParam(params, fused.downBias, [N, H], hint),
    };
    return { names, ...splitFusedExpert(tensors, fused.index, fused.layout) };
  }
  return {
    names,
    gate: contiguous(requireParam(params, names.gate, [intermediate, H], hint)),
    up: config.expertKind === 'swiglu' ? contiguous(requireParam(params, names.up!, [intermediate, H], hint)) : undefined,
    down: contiguous(requireParam(params, names.down, [H, intermediate], hint)),
  };
}

/** The router's parameters of a layer, looked up by their names and checked. */
export function routerParamsOf(params: StateDict, config: Pick<ResolvedMoEConfig, 'hiddenSize' | 'numExperts' | 'router' | 'naming'>): RouterParams {
  const names = moeParameterNames(config);
  const { hiddenSize: H, numExperts: N } = config;
  const routerParams: RouterParams = { weight: requireParam(params, names.routerWeight, [N, H]) };
  if (config.router.bias) routerParams.bias = requireParam(params, names.routerBias, [N]);
  if (config.router.scoreCorrectionBias) routerParams.scoreCorrectionBias = requireParam(params, names.scoreCorrectionBias, [N]);
  if (config.router.noise?.kind === 'noisy-top-k') routerParams.noiseWeight = requireParam(params, names.routerNoiseWeight, [N, H]);
  for (const [name, value] of [[names.routerWeight, routerParams.weight], [names.routerBias, routerParams.bias], [names.scoreCorrectionBias, routerParams.scoreCorrectionBias], [names.routerNoiseWeight, routerParams.noiseWeight]] as const) {
    if (value !== undefined) checkFinite(`params["${name}"]`, value);
  }
  return routerParams;
}

/** Soft MoE's router parameters of a layer (router.mu [H, N, S], router.scale [1] in the 'normalized' form), checked. */
function softMoEParamsOf(params: StateDict, config: ResolvedMoEConfig): SoftMoERouterParams {
  const softMoE = config.router.softMoE!;
  const { mu: muName, scale: scaleName } = SOFT_MOE_PARAMETER_NAMES;
  const mu = contiguous(requireParam(params, muName, [config.hiddenSize, config.numExperts, softMoE.slotsPerExpert]));
  checkFinite(`params["${muName}"]`, mu);
  if (softMoE.logits === 'plain') {
    if (params[scaleName] !== undefined) throw new MoEOracleError(`params["${scaleName}"]`, "no such parameter (router.softMoE.logits is 'plain')", 'a tensor');
    return { mu };
  }
  const scale = requireParam(params, scaleName, [1]);
  checkFinite(`params["${scaleName}"]`, scale);
  return { mu, scale };
}

/** Validates a layer call once; the stages below run unchecked. */
function checkLayerCall(x: Tensor, params: StateDict, config: MoEConfig, options: MoEForwardOptions): CheckedLayer {
  checkOptions('options', options);
  const resolved = resolveMoEConfig(config);
  const names = moeParameterNames(resolved);
  const { hiddenSize: H, numExperts: N } = resolved;
  checkShape('x', x, ['T', H]);
  checkFinite('x', x);
  const input = contiguous(x);
  const dense = resolved.mode === 'dense';
  if (dense && options.routingOverride !== undefined) {
    throw new MoEOracleError('routingOverride', 'no override in dense mode (every expert runs)', 'an override');
  }
  for (const variant of ['groups', 'capacity', 'noise'] as const) {
    if (dense && resolved.router[variant] !== undefined) throw new MoEOracleError(`config.router.${variant}`, "none in dense mode (every expert runs on every token)", 'a setting');
  }
  if (resolved.routerWeightOn === 'input' && (dense || resolved.router.capacity !== undefined)) {
    throw new MoEOracleError('config.routerWeightOn', `'output' in ${dense ? 'dense mode' : 'a layer with capacity'} (no source weights the expert's input there)`, "'input'");
  }
  // Dense mode: every expert, weighted by its raw score, in rank order.
  const routerConfig: ResolvedRouterConfig = dense ? { ...resolved.router, topK: N, normalization: 'none', routedScalingFactor: 1 } : resolved.router;
  const softMoE = resolved.router.softMoE;
  if (softMoE !== undefined && options.routingOverride !== undefined) throw new MoEOracleError('routingOverride', 'no override with Soft MoE (nothing is selected, so there is no choice to replay)', 'an override');
  if (options.routingOverride !== undefined) checkRoutingOverride(options.routingOverride, routerConfig, input.shape[0], N);
  if (options.keptOverride !== undefined) checkKeptOverride(options.keptOverride, routerConfig, input.shape[0]);
  const layer: CheckedLayer = {
    config: resolved,
    routerConfig,
    x: input,
    routerParams: softMoE === undefined ? routerParamsOf(params, resolved) : undefined,
    softMoE: softMoE === undefined ? undefined : softMoEParamsOf(params, resolved),
    experts: Array.from({ length: N }, (_, e) => loadExpert(params, names.expert(e), resolved, resolved.expertIntermediateSize)),
    routingOverride: options.routingOverride,
    keptOverride: options.keptOverride,
  };
  if (resolved.sharedExpertIntermediateSize > 0) {
    layer.shared = { weights: loadExpert(params, names.sharedExpert, resolved, resolved.sharedExpertIntermediateSize) };
    if (resolved.sharedExpertGate) {
      layer.shared.gateWeight = contiguous(requireParam(params, names.sharedExpertGate, [1, H]));
      checkFinite(`params["${names.sharedExpertGate}"]`, layer.shared.gateWeight);
    }
  }
  return layer;
}

/** Runs one expert on the backend: x [n, H] on the device → [n, H]. Checks its weights' values first. */
function expertOnDevice(kernels: Kernels, x: DeviceTensor, weights: ExpertWeights, layer: CheckedLayer): DeviceTensor {
  const { names } = weights;
  const checks = [[names.gate, weights.gate], [names.down, weights.down], [names.up, weights.up], [`${names.gate} bias`, weights.gateBias], [`${names.up} bias`, weights.upBias], [`${names.down} bias`, weights.downBias]] as const;
  for (const [name, matrix] of checks) {
    if (name !== undefined && matrix !== undefined) checkWeightFiniteOnce(`params["${name}"]`, matrix);
  }
  const [gate, down] = [kernels.upload(weights.gate), kernels.upload(weights.down)];
  if (layer.config.expertKind === 'gpt-oss') {
    const upload = (t: Tensor | undefined) => kernels.upload(t!);
    return gptOssExpertOnDevice(kernels, x, { gate, gateBias: upload(weights.gateBias), up: upload(weights.up), upBias: upload(weights.upBias), down, downBias: upload(weights.downBias) });
  }
  if (weights.up !== undefined) return swiGLUOnDevice(kernels, x, { w1: gate, w3: kernels.upload(weights.up), w2: down });
  return ffnOnDevice(kernels, x, { wi: gate, wo: down }, layer.config.expertKind as Exclude<typeof layer.config.expertKind, 'swiglu' | 'gpt-oss'>);
}

/** The device tensors the expert stage produces. */
interface ExpertStageOutput {
  output: DeviceTensor;
  shared?: { output: DeviceTensor; gate: DeviceTensor };
  tokensPerExpert: IntTensor;
}

/**
 * Stage 3, on the backend: dispatch each expert's tokens, run each expert once on its batch, run the
 * shared expert and its gate, and combine.
 */
function expertStage(kernels: Kernels, layer: CheckedLayer, x: DeviceTensor, router: RouterOutput): ExpertStageOutput {
  const { hiddenSize: H, numExperts: N } = layer.config;
  const [T, k] = router.topkIndices.shape;
  const capacity = router.capacity;
  if (router.expertChoice !== undefined) {
    // Expert choice: each expert on the tokens it took, each token adding the experts that took it.
    const output = expertChoiceOutputOnDevice(kernels, x, router.expertChoice, N, (e, batch) => expertOnDevice(kernels, batch, layer.experts[e], layer));
    return { output, tokensPerExpert: router.expertChoice.tokensPerExpert };
  }
  const { tokensPerExpert, slotsOfExpert } = dispatchByExpert(router.topkIndices, N, capacity?.keptMask);
  // Llama 4 weights the expert's input: row w·x_t (combine with one weight per row: one rounding).
  const onInput = layer.config.routerWeightOn === 'input';
  const parts = [];
  for (let e = 0; e < N; e++) {
    const slots = slotsOfExpert[e];
    if (slots.length === 0) continue;
    let batch = kernels.gatherRows(x, tokenRowsOfSlots(slots, k));
    if (onInput) batch = kernels.combine(kernels.upload(tensor(Float32Array.from(slots, (s) => router.topkWeights.data[s]), [slots.length, 1])), batch);
    parts.push({ values: expertOnDevice(kernels, batch, layer.experts[e], layer), rows: slots });
  }
  // Hugging Face Switch's pass-through: a dropped slot's row is the token's own input (its weight, the
  // top-1 probability, stays), so the token comes out as p·x. Under 'zero' a dropped row stays 0 and
  // its combine weight is 0.
  if (capacity !== undefined && capacity.dropped.length > 0 && layer.routerConfig.capacity?.dropped === 'pass-through') {
    const droppedSlots = Int32Array.from(capacity.dropped, (d) => d.token * k + d.slot);
    parts.push({ values: kernels.gatherRows(x, tokenRowsOfSlots(droppedSlots, k)), rows: droppedSlots });
  }
  const slotOutputs = kernels.scatterRows(parts, T * k, H);

  // The shared expert on every token, with its optional sigmoid gate g_t (1 without a gate).
  let shared: ExpertStageOutput['shared'];
  if (layer.shared !== undefined) {
    const output = expertOnDevice(kernels, x, layer.shared.weights, layer);
    const gate =
      layer.shared.gateWeight === undefined
        ? kernels.upload(tensor(new Float32Array(T).fill(1), [T, 1]))
        : kernels.activation(kernels.linear(x, kernels.upload(layer.shared.gateWeight)), 'sigmoid');
    shared = { output, gate };
  }
  const combineWeights = onInput ? tensor(new Float32Array(T * k).fill(1), [T, k]) : (capacity?.combineWeights ?? router.topkWeights);
  const output = kernels.combine(kernels.upload(combineWeights), slotOutputs, shared);
  return { output, shared, tokensPerExpert };
}

/** Assembles the output object from the tensors read back, checking none overflowed. */
function assembleOutput(layer: CheckedLayer, router: RouterOutput, stage: ExpertStageOutput, output: Tensor, shared?: { output: Tensor; gate: Tensor }): MoEOutput {
  checkProducedFinite('moe', 'y', output);
  const result: MoEOutput = { output, router, tokensPerExpert: stage.tokensPerExpert };
  if (shared !== undefined) {
    checkProducedFinite('moe', 'shared_expert_output', shared.output);
    result.sharedExpertOutput = shared.output;
    if (layer.config.sharedExpertGate) result.sharedExpertGate = reshape(shared.gate, [shared.gate.shape[0]]);
  }
  return result;
}

/**
 * Puts x on the device for the experts and, with jitter, the router's jittered copy beside it (the
 * experts never see the jitter: router/noise.ts).
 */
function uploadInputs(kernels: Kernels, layer: CheckedLayer): { input: DeviceTensor; routerInput: DeviceTensor; jitter?: Tensor } {
  const input = kernels.upload(layer.x);
  const { routerInput, multipliers } = routerInputOf(layer.x, layer.routerConfig.noise);
  return { input, routerInput: multipliers === undefined ? input : kernels.upload(routerInput), jitter: multipliers };
}

/** Soft MoE's stages on the backend (soft-moe.ts): the router, the slots, each expert on its S slots, the output. */
function softMoELayerStage(kernels: Kernels, layer: CheckedLayer): SoftMoEStage {
  return softMoEStage(kernels, layer.x, kernels.upload(layer.x), layer.softMoE!, layer.routerConfig.softMoE!, (e, batch) => expertOnDevice(kernels, batch, layer.experts[e], layer));
}

/** Soft MoE's output from its stage's tensors read back. */
function assembleSoftMoEOutput(layer: CheckedLayer, read: SoftMoEStageRead): MoEOutput {
  const { output, softMoE } = softMoEOutputOf(read);
  const [T] = output.shape;
  const router: RouterOutput = {
    logits: softMoE.logits, scores: softMoE.combineWeights,
    topkIndices: intTensor(new Int32Array(0), [T, 0]), topkWeights: tensor(new Float32Array(0), [T, 0]), margins: tensor(new Float32Array(T).fill(Infinity), [T]),
    selectionScores: softMoE.combineWeights, // nothing is ranked
  };
  const tokensPerExpert = intTensor(new Int32Array(layer.config.numExperts).fill(layer.routerConfig.softMoE!.slotsPerExpert), [layer.config.numExperts]);
  return { output, router, tokensPerExpert, softMoE };
}

/** Runs the MoE layer on x [T, H], on a synchronous backend (default `defaultBackend()`: the same bits as `cpu`). */
export function moeForward(x: Tensor, params: StateDict, config: MoEConfig, options: MoEForwardOptions = {}): MoEOutput {
  const layer = checkLayerCall(x, params, config, options);
  const kernels = synchronousBackendOf(options, 'moeForwardAsync');
  if (layer.softMoE !== undefined) {
    return assembleSoftMoEOutput(layer, softMoEStageTensors(softMoELayerStage(kernels, layer)).map((t) => kernels.readSync(t)) as SoftMoEStageRead);
  }
  const { input, routerInput, jitter } = uploadInputs(kernels, layer);
  const scores = routerScoresOnDevice(kernels, routerInput, layer.routerParams!, layer.routerConfig);
  const router = selectExperts(readRouterScoresSync(kernels, scores, jitter), layer.routerConfig, layer.routerParams!.scoreCorrectionBias, layer.routingOverride, layer.keptOverride);
  const stage = expertStage(kernels, layer, input, router);
  const shared = stage.shared && { output: kernels.readSync(stage.shared.output), gate: kernels.readSync(stage.shared.gate) };
  return assembleOutput(layer, router, stage, kernels.readSync(stage.output), shared);
}

/** `moeForward` on any backend, synchronous or asynchronous: the same stages, joined with `await`. */
export async function moeForwardAsync(x: Tensor, params: StateDict, config: MoEConfig, options: MoEForwardOptions = {}): Promise<MoEOutput> {
  const layer = checkLayerCall(x, params, config, options);
  const kernels = backendOf(options);
  if (layer.softMoE !== undefined) {
    return assembleSoftMoEOutput(layer, (await Promise.all(softMoEStageTensors(softMoELayerStage(kernels, layer)).map((t) => kernels.read(t)))) as SoftMoEStageRead);
  }
  const { input, routerInput, jitter } = uploadInputs(kernels, layer);
  const scores = routerScoresOnDevice(kernels, routerInput, layer.routerParams!, layer.routerConfig);
  const router = selectExperts(await readRouterScores(kernels, scores, jitter), layer.routerConfig, layer.routerParams!.scoreCorrectionBias, layer.routingOverride, layer.keptOverride);
  const stage = expertStage(kernels, layer, input, router);
  const shared = stage.shared && { output: await kernels.read(stage.shared.output), gate: await kernels.read(stage.shared.gate) };
  return assembleOutput(layer, router, stage, await kernels.read(stage.output), shared);
}
