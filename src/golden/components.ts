/**
 * The components a golden case, `moe-oracle run` and `moe-oracle verify` can run: one table, so the
 * golden writer, `run`, `verify` and its routing replay all call the same reference functions.
 *
 * Each component names its inputs, parameters and outputs (the golden file stores them as
 * `inputs.<name>`, `params.<name>`, `outputs.<name>`), and gives, per output, the reduction length K
 * that the tolerance model (tolerance.ts) needs. Components that choose experts accept a routing
 * override (`[T, k]` int32) so that a backend's own choice on a near-tie can be replayed.
 *
 *   component   inputs        params                                  outputs
 *   moe         x [T, H]      the layer's state dict (moe/names.ts)   y, router_logits, router_scores, topk_indices,
 *                                                                     topk_weights, margins, tokens_per_expert,
 *                                                                     shared_expert_output?, shared_expert_gate?
 *   router      x [T, H]      gate.weight (+ bias, + score bias)      logits, scores, topk_indices, topk_weights, margins
 *   topk        scores [T, N] —                                       values, indices, margins
 *   expert      x [n, H]      w1, w2, w3 (SwiGLU) or wi, wo (FFN)     y
 *   softmax     logits [R, C] —                                       probs, logsumexp
 *   rmsnorm     x [T, H]      weight [H]                              y
 *   activation  x [any]       —                                       sigmoid, silu, relu, gelu, gelu_tanh
 *   losses      logits [T, N], topk_indices [T, k] (+ attention_mask [B, S], token_mask [T],
 *               global_tokens_per_expert [N]); or expert_bias [N], tokens_per_expert [N]
 *                             —                                       loss [1], grad_logits [T, N];
 *                                                                     or updated_expert_bias [N]
 *   router-backward x [T, H], grad_topk_weights [T, k]
 *                             gate.weight (+ bias, + score bias)      logits, scores, topk_indices, topk_weights,
 *                                                                     margins, grad_logits, grad_gate_weight,
 *                                                                     grad_x, grad_gate_bias?
 *   attention   x [T, H]      MLA or MHA/GQA/MQA names (attention/      y; one pass: attention_weights [n, T, T];
 *               (+ block_table  params.ts)                             decoding: cache_c_kv, cache_k_rope (MLA)
 *                I32, paged)                                           or cache_keys, cache_values
 *
 * The moe and router components under expert choice (`router.expertChoice`) write, instead of the
 * top-k outputs: expert_capacity [1], expert_indices [G·N, c] (I32), expert_weights [G·N, c],
 * expert_margins [G·N], experts_per_token [T] (I32), tokens_per_expert [N] (I32); their routing (for
 * verify) is expert_indices, row by row. Under Soft MoE (`router.softMoE`, params router.mu, router.scale):
 * router_logits (router: logits), dispatch_weights, combine_weights [T, E·S], and for the layer y,
 * slot_inputs, slot_outputs [E·S, H]; nothing is selected, so there is no routing to compare as sets.
 */
import { gelu, geluTanh, logSumExp, relu, rmsNorm, sigmoid, silu, softmax } from '../backends/ops.js';
import type { BackendOption } from '../backends/registry.js';
import { checkFiniteNumber, checkInteger, checkOneOf, MoEOracleError, describe } from '../tensor/errors.js';
import { contiguous, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { referenceMagnitude } from './tolerance.js';
import { checkSelection, topK } from '../router/topk.js';
import { route, type RouterOutput } from '../router/router.js';
import { swiGLU } from '../experts/swiglu.js';
import { ffn } from '../experts/ffn.js';
import { EXPERT_KINDS, type ExpertKind } from '../experts/kind.js';
import { resolveMoEConfig, type MoEConfig } from '../moe/config.js';
import { HF_LAYER_FAMILIES, moeConfigFromHuggingFace, moeConfigToHuggingFace, type HfLayerFamily } from '../hf/layer-config.js';
import { moeForward, routerParamsOf } from '../moe/layer.js';
import { requireParam, type StateDict } from '../moe/params.js';
import { importanceLoss, type ImportanceOptions } from '../losses/importance.js';
import { loadBalancingLoss, type LoadBalancingOptions } from '../losses/load-balancing.js';
import { routerZLoss, type ZLossOptions } from '../losses/z-loss.js';
import { updateExpertBias } from '../losses/bias-update.js';
import { routerBackward, routerLinearBackward } from '../router/backward.js';
import { attentionComponent } from './attention-component.js';
import type { ExpertChoiceOutput } from '../router/expert-choice.js';
import { SOFT_MOE_PARAMETER_NAMES, softMoERoute } from '../router/soft-moe.js';

/** Named tensors. */
export type TensorMap = Record<string, Tensor | IntTensor>;

/** Where a component's routing lives, for verify. */
export interface RoutingOutputs<C = unknown> {
  /** Output holding the [T, k] chosen indices. */
  indices: string;
  /** Output holding the [T] margins. */
  margins: string;
  /** Output whose tolerance decides a near-tie (the scores selection ran on). */
  scores: string;
  /**
   * [T, N] the reference's selection scores (the space the margins are measured in), recomputed from
   * the case: `verify` accepts a different expert set on a near-tie only when every expert that
   * differs lies within the near-tie threshold of the k-th selection score.
   */
  selectionScores(config: C, inputs: TensorMap, params: StateDict): Tensor;
}

/**
 * One output a component produces. The first in a component's list is its main output. `when`
 * (absent: always) says for which configs the output exists; `mayBeInfinite` marks the one output
 * whose +Infinity is a defined value from finite inputs (the margin when k = N: no unchosen expert).
 */
export interface ComponentOutput<C = unknown> {
  name: string;
  when?: (config: C) => boolean;
  mayBeInfinite?: boolean;
  /**
   * The magnitude of the terms this output sums, for outputs whose terms can cancel to (near) zero:
   * the tolerance model then takes max(RMS of the reference, this scale) as its magnitude, because a
   * backend's rounding error follows the terms, not their sum (output-tolerance.ts). Example: the
   * router's gradients at k = 1 with 'sum', where the weight is 1 whatever the logits.
   */
  termScale?: (config: C, tensors: CaseTensors) => number;
}

/** A case's tensors, by group, without their prefixes. */
export interface CaseTensors {
  outputs: TensorMap;
  inputs: TensorMap;
  params: StateDict;
}

/** The names of the outputs a component produces for `config`, main output first. */
export function expectedOutputs<C>(component: Component<C>, config: C): string[] {
  if (typeof component !== 'object' || component === null || !Array.isArray(component.outputs)) throw new MoEOracleError('component', 'a component (getComponent)', describe(component));
  return component.outputs.filter((output) => output.when === undefined || output.when(config)).map((output) => output.name);
}

/** One component. `C` is its parsed config. */
export interface Component<C = unknown> {
  name: ComponentName;
  summary: string;
  /** Checks a config JSON value (from a golden file's metadata or `--config`). */
  parseConfig(json: unknown): C;
  /** The config as stored in metadata (Hugging Face keys where they exist). */
  configToJson(config: C): Record<string, unknown>;
  /** Runs the reference (on `options.backend`, default cpu; a synchronous backend). */
  run(config: C, inputs: TensorMap, params: StateDict, routingOverride?: IntTensor, options?: BackendOption): TensorMap;
  /** Reduction length K behind an output, for the tolerance model (`tensors`: the case's, when K depends on their shapes). */
  reductionLength(config: C, output: string, tensors?: CaseTensors): number;
  /** Present for components that choose experts. */
  routing?: RoutingOutputs<C>;
  /** Present when the routing outputs depend on the config (expert choice, Soft MoE); replaces `routing`. */
  routingOf?(config: C): RoutingOutputs<C> | undefined;
  /** Every output the component can produce, main output first (verify requires each that applies). */
  outputs: readonly ComponentOutput<C>[];
}

/** The routing outputs of a component for one config (undefined: nothing to compare as sets). */
export function routingOutputsOf<C>(component: Component<C>, config: C): RoutingOutputs<C> | undefined {
  if (typeof component !== 'object' || component === null) throw new MoEOracleError('component', 'a component (getComponent)', describe(component));
  return component.routingOf !== undefined ? component.routingOf(config) : component.routing;
}

/** Expert choice's outputs: the tokens each expert took and their weights, per expert and group. */
function expertChoiceOutputs(choice: ExpertChoiceOutput): TensorMap {
  return {
    expert_capacity: intTensor([choice.capacity], [1]),
    expert_indices: choice.expertIndices,
    expert_weights: choice.expertWeights,
    expert_margins: choice.expertMargins,
    experts_per_token: choice.expertsPerToken,
    tokens_per_expert: choice.tokensPerExpert,
  };
}

/**
 * Expert choice's selection scores, one row per routing row (expert e of group g, row g·N + e) and one
 * column per token: the expert's score of each token of its group, −Infinity for the other groups' tokens
 * (which it cannot take). [G·N, T], the space `expert_margins` is measured in.
 */
function expertChoiceSelectionScores(config: MoEComponentConfig, inputs: TensorMap, params: StateDict): Tensor {
  const c = resolveMoEConfig(config.layer);
  const out = route(input(inputs, 'x'), routerParamsOf(params, c), c.router);
  const [tokens, numExperts] = out.scores.shape;
  const groupSize = out.expertChoice!.groupSize;
  const rows = (tokens / groupSize) * numExperts;
  const selection = new Float32Array(rows * tokens).fill(-Infinity);
  for (let row = 0; row < rows; row++) {
    const [start, e] = [Math.floor(row / numExperts) * groupSize, row % numExperts];
    for (let t = start; t < start + groupSize; t++) selection[row * tokens + t] = out.scores.data[t * numExperts + e];
  }
  return tensor(selection, [rows, tokens]);
}

const EXPERT_CHOICE_ROUTING: RoutingOutputs<MoEComponentConfig> = { indices: 'expert_indices', margins: 'expert_margins', scores: 'expert_weights', selectionScores: expertChoiceSelectionScores };

/** Which routing a layer config uses (for the outputs each produces). */
const kindOf = (config: MoEComponentConfig) => resolveMoEConfig((config as MoEComponentConfig | undefined)?.layer as MoEConfig).router.kind ?? 'token-choice';
const tokenChoice = (config: MoEComponentConfig) => kindOf(config) === 'token-choice';
const expertChoice = (config: MoEComponentConfig) => kindOf(config) === 'expert-choice';
const softMoE = (config: MoEComponentConfig) => kindOf(config) === 'soft-moe';

/** The routing outputs of the moe and router components: top-k, expert choice's rows, or none (Soft MoE). */
function layerRouting(config: MoEComponentConfig, tokenChoiceRouting: RoutingOutputs<MoEComponentConfig>): RoutingOutputs<MoEComponentConfig> | undefined {
  return expertChoice(config) ? EXPERT_CHOICE_ROUTING : softMoE(config) ? undefined : tokenChoiceRouting;
}

/** Expert choice's output declarations (the router's and the layer's). */
const EXPERT_CHOICE_DECLARATIONS: ComponentOutput<MoEComponentConfig>[] = [
  ...['expert_capacity', 'expert_indices', 'expert_weights'].map((name) => ({ name, when: expertChoice })),
  { name: 'expert_margins', when: expertChoice, mayBeInfinite: true },
  ...['experts_per_token', 'tokens_per_expert'].map((name) => ({ name, when: expertChoice })),
];

/**
 * Reduction lengths of Soft MoE's outputs: the normalisation and the logits' dot products (2H), the
 * softmax over the T tokens (dispatch) or the E·S slots (combine), the slot inputs' sum over T tokens,
 * the expert (H + I) and the output's sum over the E·S slots. T is the case's input's (64 without one).
 */
function softMoEReductionLength(c: ReturnType<typeof resolveMoEConfig>, output: string, tensors?: CaseTensors): number {
  const tokens = tensors?.inputs?.x?.shape[0] ?? 64;
  const slots = c.numExperts * c.router.softMoE!.slotsPerExpert;
  const logits = 2 * c.hiddenSize;
  const slotInputs = logits + 2 * tokens;
  const slotOutputs = slotInputs + c.hiddenSize + c.expertIntermediateSize;
  const lengths: Record<string, number> = {
    router_logits: logits, logits, combine_weights: logits + slots, dispatch_weights: logits + tokens,
    slot_inputs: slotInputs, slot_outputs: slotOutputs, y: slotOutputs + slots,
  };
  return lengths[output] ?? slotOutputs + slots;
}

export type ComponentName = 'moe' | 'router' | 'topk' | 'expert' | 'softmax' | 'rmsnorm' | 'activation' | 'losses' | 'router-backward' | 'attention';

function objectConfig(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new MoEOracleError('config', 'a JSON object', describe(json));
  return json as Record<string, unknown>;
}

function input(inputs: TensorMap, name: string, kind: 'float32' | 'int32' = 'float32'): Tensor {
  const t = inputs[name];
  if (t === undefined) throw new MoEOracleError(`inputs.${name}`, `a ${kind} tensor`, 'no such tensor');
  if (kind === 'float32' && !(t.data instanceof Float32Array)) throw new MoEOracleError(`inputs.${name}`, 'a float32 tensor', 'an int32 tensor');
  return t as Tensor;
}

/**
 * The config of the moe and router components: the layer, and the Hugging Face family its keys were
 * given in (null: none), so that `run` and the golden writer store it in the same family's keys.
 */
export interface MoEComponentConfig {
  layer: MoEConfig;
  family: HfLayerFamily | null;
}

/** An MoE config given as MoEConfig keys, or as a Hugging Face config.json (model_type …, and/or moe_oracle). */
function parseMoEConfig(json: unknown, routerOnly: boolean): MoEComponentConfig {
  const object = objectConfig(json);
  if ('model_type' in object || 'moe_oracle' in object) {
    const layer = moeConfigFromHuggingFace(object, { routerOnly });
    const family = (HF_LAYER_FAMILIES as readonly unknown[]).includes(object.model_type) ? (object.model_type as HfLayerFamily) : null;
    return { layer, family };
  }
  resolveMoEConfig(object as unknown as MoEConfig);
  return { layer: object as unknown as MoEConfig, family: null };
}

const moe: Component<MoEComponentConfig> = {
  name: 'moe',
  summary: 'the MoE layer: route, dispatch, experts, combine (+ shared expert)',
  parseConfig: (json) => parseMoEConfig(json, false),
  configToJson: (config) => moeConfigToHuggingFace(config.layer, config.family),
  run(config, inputs, params, routingOverride, options) {
    const out = moeForward(input(inputs, 'x'), params, config.layer, { routingOverride, backend: options?.backend });
    if (out.softMoE !== undefined) {
      const s = out.softMoE;
      return { y: out.output, router_logits: s.logits, dispatch_weights: s.dispatchWeights, combine_weights: s.combineWeights, slot_inputs: s.slotInputs, slot_outputs: s.slotOutputs };
    }
    if (out.router.expertChoice !== undefined) {
      return { y: out.output, router_logits: out.router.logits, router_scores: out.router.scores, ...expertChoiceOutputs(out.router.expertChoice) };
    }
    const outputs: TensorMap = {
      y: out.output,
      router_logits: out.router.logits,
      router_scores: out.router.scores,
      topk_indices: out.router.topkIndices,
      topk_weights: out.router.topkWeights,
      margins: out.router.margins,
      tokens_per_expert: out.tokensPerExpert,
      ...routingVariantOutputs(out.router),
    };
    if (out.sharedExpertOutput) outputs.shared_expert_output = out.sharedExpertOutput;
    if (out.sharedExpertGate) outputs.shared_expert_gate = out.sharedExpertGate;
    return outputs;
  },
  reductionLength(config, output, tensors) {
    const c = resolveMoEConfig(config.layer);
    if (c.router.softMoE !== undefined) return softMoEReductionLength(c, output, tensors);
    // Expert choice: a token adds up to N experts' outputs.
    const k = c.mode === 'dense' || c.router.expertChoice !== undefined ? c.numExperts : c.router.topK;
    const router = c.hiddenSize + c.numExperts; // the logits' dot products, then the softmax sum
    switch (output) {
      case 'y':
        return router + c.hiddenSize + Math.max(c.expertIntermediateSize, c.sharedExpertIntermediateSize) + k + 1;
      case 'shared_expert_output':
        return c.hiddenSize + c.sharedExpertIntermediateSize;
      case 'topk_weights':
      case 'combine_weights':
        return router + k;
      default:
        return router;
    }
  },
  routing: { indices: 'topk_indices', margins: 'margins', scores: 'router_scores', selectionScores: routerSelectionScores },
  routingOf: (config) => layerRouting(config, { indices: 'topk_indices', margins: 'margins', scores: 'router_scores', selectionScores: routerSelectionScores }),
  outputs: [
    { name: 'y' }, { name: 'router_logits' }, { name: 'router_scores', when: (config) => !softMoE(config) },
    { name: 'topk_indices', when: tokenChoice }, { name: 'topk_weights', when: tokenChoice },
    { name: 'margins', when: tokenChoice, mayBeInfinite: true }, { name: 'tokens_per_expert', when: tokenChoice },
    ...EXPERT_CHOICE_DECLARATIONS,
    ...['dispatch_weights', 'combine_weights', 'slot_inputs', 'slot_outputs'].map((name) => ({ name, when: softMoE })),
    { name: 'shared_expert_output', when: (config) => resolveMoEConfig(config.layer).sharedExpertIntermediateSize > 0 },
    { name: 'shared_expert_gate', when: (config) => resolveMoEConfig(config.layer).sharedExpertGate },
    ...routingVariantDeclarations(false),
  ],
};

/** The outputs of `routingVariantOutputs`, declared for verify (each present when its variant is set). */
function routingVariantDeclarations(withTokensPerExpert: boolean): ComponentOutput<MoEComponentConfig>[] {
  const grouped = (config: MoEComponentConfig) => resolveMoEConfig(config.layer).router.groups !== undefined;
  const capacity = (config: MoEComponentConfig) => resolveMoEConfig(config.layer).router.capacity !== undefined;
  const noise = (kind: string) => (config: MoEComponentConfig) => {
    const n = resolveMoEConfig(config.layer).router.noise;
    return n !== undefined && n.kind === kind && n.enabled;
  };
  return [
    { name: 'group_scores', when: grouped }, { name: 'chosen_groups', when: grouped }, { name: 'group_margins', when: grouped, mayBeInfinite: true },
    { name: 'router_jitter', when: noise('jitter') },
    ...['router_noise', 'router_noise_stddev', 'noisy_logits'].map((name) => ({ name, when: noise('noisy-top-k') })),
    ...['expert_capacity', 'kept_mask', 'position_in_expert', 'combine_weights'].map((name) => ({ name, when: capacity })),
    { name: 'drop_margins', when: capacity, mayBeInfinite: true }, { name: 'tokens_per_expert_before_drop', when: capacity },
    ...(withTokensPerExpert ? [{ name: 'tokens_per_expert', when: capacity }] : []),
  ];
}

/**
 * The outputs of the routing variants, present only when the config sets them (so cases without
 * them keep their files): group-limited selection (group_scores [T, G], chosen_groups [T, topkGroup],
 * group_margins [T]), noise (router_jitter [T, H] multipliers; or router_noise [T, N] ε,
 * router_noise_stddev [T, N], noisy_logits [T, N] H) and capacity (expert_capacity [1], kept_mask [T, k], position_in_expert [T, k],
 * combine_weights [T, k], drop_margins [T, k], tokens_per_expert_before_drop [N], and for the router
 * alone tokens_per_expert [N] after dropping).
 */
function routingVariantOutputs(out: RouterOutput): TensorMap {
  const outputs: TensorMap = {};
  if (out.groups !== undefined) {
    outputs.group_scores = out.groups.groupScores;
    outputs.chosen_groups = out.groups.chosenGroups;
    outputs.group_margins = out.groups.groupMargins;
  }
  if (out.noise !== undefined) {
    const n = out.noise;
    if (n.jitter !== undefined) outputs.router_jitter = n.jitter;
    if (n.noise !== undefined) outputs.router_noise = n.noise;
    if (n.noiseStddev !== undefined) outputs.router_noise_stddev = n.noiseStddev;
    if (n.noisyLogits !== undefined) outputs.noisy_logits = n.noisyLogits;
  }
  if (out.capacity !== undefined) {
    const c = out.capacity;
    outputs.expert_capacity = intTensor([c.capacity], [1]);
    outputs.kept_mask = c.keptMask;
    outputs.position_in_expert = c.positionInExpert;
    outputs.combine_weights = c.combineWeights;
    outputs.drop_margins = c.dropMargins;
    outputs.tokens_per_expert_before_drop = c.tokensPerExpertBeforeDrop;
    outputs.tokens_per_expert = c.tokensPerExpert;
  }
  return outputs;
}

const router: Component<MoEComponentConfig> = {
  name: 'router',
  summary: 'the router alone: logits, scores, top-k, weights, margins',
  parseConfig: (json) => parseMoEConfig(json, true),
  configToJson: (config) => moeConfigToHuggingFace(config.layer, config.family, { routerOnly: true }),
  run(config, inputs, params, routingOverride, options): TensorMap {
    const c = resolveMoEConfig(config.layer);
    const x = input(inputs, 'x');
    if (c.router.softMoE !== undefined) {
      if (routingOverride !== undefined) throw new MoEOracleError('routing', 'no routing to replay (Soft MoE selects nothing)', 'a routing override');
      const { mu, scale } = SOFT_MOE_PARAMETER_NAMES;
      const routerParams = { mu: requireParam(params, mu, [c.hiddenSize, c.numExperts, c.router.softMoE.slotsPerExpert]), ...(params[scale] === undefined ? {} : { scale: params[scale] }) };
      const out = softMoERoute(x, routerParams, c.router.softMoE, { backend: options?.backend });
      return { logits: out.logits, dispatch_weights: out.dispatchWeights, combine_weights: out.combineWeights };
    }
    const out = route(x, routerParamsOf(params, c), c.router, { routingOverride, backend: options?.backend });
    if (out.expertChoice !== undefined) return { logits: out.logits, scores: out.scores, ...expertChoiceOutputs(out.expertChoice) };
    return { logits: out.logits, scores: out.scores, topk_indices: out.topkIndices, topk_weights: out.topkWeights, margins: out.margins, ...routingVariantOutputs(out) };
  },
  reductionLength(config, output, tensors) {
    const c = resolveMoEConfig(config.layer);
    if (c.router.softMoE !== undefined) return softMoEReductionLength(c, output, tensors);
    return c.hiddenSize + c.numExperts + (output === 'topk_weights' || output === 'combine_weights' ? c.router.topK : 0);
  },
  routing: { indices: 'topk_indices', margins: 'margins', scores: 'scores', selectionScores: routerSelectionScores },
  routingOf: (config) => layerRouting(config, { indices: 'topk_indices', margins: 'margins', scores: 'scores', selectionScores: routerSelectionScores }),
  outputs: [
    { name: 'logits' }, { name: 'scores', when: (config) => !softMoE(config) },
    { name: 'topk_indices', when: tokenChoice }, { name: 'topk_weights', when: tokenChoice }, { name: 'margins', when: tokenChoice, mayBeInfinite: true },
    ...routingVariantDeclarations(true), ...EXPERT_CHOICE_DECLARATIONS,
    ...['dispatch_weights', 'combine_weights'].map((name) => ({ name, when: softMoE })),
  ],
};

/** RMS of a float32 tensor's finite values (the tolerance model's magnitude). */
function rmsOf(t: Tensor | IntTensor | undefined): number {
  if (t === undefined || !(t.data instanceof Float32Array)) throw new MoEOracleError('tensor', 'a float32 tensor of the case', describe(t));
  return referenceMagnitude(t as Tensor);
}

/** A lower estimate of the terms of the router's dL/d(logits): RMS(g)·RMS(w)·√(k/N)/4 (see router-backward's outputs). */
function gradLogitsTermScale(t: CaseTensors): number {
  const weights = t.outputs.topk_weights;
  if (weights === undefined) throw new MoEOracleError('outputs.topk_weights', 'the router weights of the case', 'no such tensor');
  return (rmsOf(input(t.inputs, 'grad_topk_weights')) * rmsOf(weights) * Math.sqrt(weights.shape[1] / expertsOf(t))) / 4;
}

/** T and N of a router case (from its scores [T, N]). */
const tokensOf = (t: CaseTensors): number => (t.outputs.scores ?? t.outputs.logits).shape[0];
const expertsOf = (t: CaseTensors): number => (t.outputs.scores ?? t.outputs.logits).shape[1];

/** The router's selection scores for a case of the moe, router or router-backward component. */
function routerSelectionScores(config: MoEComponentConfig, inputs: TensorMap, params: StateDict): Tensor {
  const c = resolveMoEConfig(config.layer);
  return route(input(inputs, 'x'), routerParamsOf(params, c), c.router).selectionScores;
}

interface TopKConfig { k: number }
const topk: Component<TopKConfig> = {
  name: 'topk',
  summary: 'top-k with the tie rule (value descending, then lower index) and margins',
  parseConfig: (json) => ({ k: checkInteger('config.k', objectConfig(json).k, 1) }),
  configToJson: (config) => ({ ...config }),
  run(config, inputs, _params, routingOverride) {
    const scores = input(inputs, 'scores');
    const result = topK(scores, config.k);
    if (routingOverride === undefined) return { values: result.values, indices: result.indices, margins: result.margins };
    const [T, N] = scores.shape;
    checkSelection('routing override', routingOverride, T, config.k, N);
    const override = contiguous(routingOverride);
    const scoreData = contiguous(scores).data;
    const values = Float32Array.from(override.data, (e, i) => scoreData[Math.floor(i / config.k) * N + e]);
    return { values: tensor(values, [T, config.k]), indices: override, margins: result.margins };
  },
  reductionLength: () => 1,
  routing: { indices: 'indices', margins: 'margins', scores: 'values', selectionScores: (_config, inputs) => input(inputs, 'scores') },
  outputs: [{ name: 'values' }, { name: 'indices' }, { name: 'margins', mayBeInfinite: true }],
};

interface ExpertConfig { hiddenSize: number; intermediateSize: number; kind: Exclude<ExpertKind, 'gpt-oss'> }
const expert: Component<ExpertConfig> = {
  name: 'expert',
  summary: 'one expert FFN: SwiGLU (w1, w2, w3) or classic (wi, wo) with relu / gelu / gelu-tanh',
  parseConfig(json) {
    const stored = objectConfig(json);
    const o = 'moe_oracle' in stored ? objectConfig(stored.moe_oracle) : stored; // as written in golden metadata
    return {
      hiddenSize: checkInteger('config.hiddenSize', o.hiddenSize, 1),
      intermediateSize: checkInteger('config.intermediateSize', o.intermediateSize, 1),
      kind: checkOneOf('config.kind', o.kind ?? 'swiglu', EXPERT_KINDS.filter((kind) => kind !== 'gpt-oss')), // gpt-oss experts: through the moe component
    };
  },
  configToJson: (config) => ({ hidden_size: config.hiddenSize, intermediate_size: config.intermediateSize, hidden_act: config.kind === 'swiglu' ? 'silu' : config.kind, moe_oracle: { ...config } }),
  run(config, inputs, params, _routingOverride, options) {
    const x = input(inputs, 'x');
    const { hiddenSize: H, intermediateSize: I } = config;
    if (config.kind === 'swiglu') {
      return { y: swiGLU(x, { w1: requireParam(params, 'w1.weight', [I, H]), w2: requireParam(params, 'w2.weight', [H, I]), w3: requireParam(params, 'w3.weight', [I, H]) }, options) };
    }
    return { y: ffn(x, { wi: requireParam(params, 'wi.weight', [I, H]), wo: requireParam(params, 'wo.weight', [H, I]) }, config.kind, options) };
  },
  reductionLength: (config) => config.hiddenSize + config.intermediateSize + 1,
  outputs: [{ name: 'y' }],
};

const softmaxComponent: Component<Record<string, never>> = {
  name: 'softmax',
  summary: 'row-wise softmax and log-sum-exp (max-subtracted; -Infinity allowed)',
  parseConfig: (json) => (objectConfig(json ?? {}), {}),
  configToJson: () => ({}),
  run: (_c, inputs, _p, _r, options) => ({ probs: softmax(input(inputs, 'logits'), options), logsumexp: logSumExp(input(inputs, 'logits'), options) }),
  reductionLength: () => 1,
  outputs: [{ name: 'probs' }, { name: 'logsumexp' }],
};

interface RMSNormConfig { eps: number }
const rmsnorm: Component<RMSNormConfig> = {
  name: 'rmsnorm',
  summary: 'RMSNorm: x / sqrt(mean(x²) + eps) · weight',
  parseConfig: (json) => ({ eps: checkFiniteNumber('config.eps', objectConfig(json).eps ?? objectConfig(json).rms_norm_eps ?? 1e-6, 0) }),
  configToJson: (config) => ({ rms_norm_eps: config.eps }),
  run(config, inputs, params, _routingOverride, options) {
    const x = input(inputs, 'x');
    return { y: rmsNorm(x, requireParam(params, 'weight', [x.shape[1]]), config.eps, options) };
  },
  reductionLength: () => 2,
  outputs: [{ name: 'y' }],
};

const activation: Component<Record<string, never>> = {
  name: 'activation',
  summary: 'element-wise sigmoid, silu, relu, gelu (erf), gelu_tanh',
  parseConfig: (json) => (objectConfig(json ?? {}), {}),
  configToJson: () => ({}),
  run(_c, inputs, _p, _r, options) {
    const x = input(inputs, 'x');
    return { sigmoid: sigmoid(x, options), silu: silu(x, options), relu: relu(x, options), gelu: gelu(x, options), gelu_tanh: geluTanh(x, options) };
  },
  reductionLength: () => 1,
  outputs: [{ name: 'sigmoid' }, { name: 'silu' }, { name: 'relu' }, { name: 'gelu' }, { name: 'gelu_tanh' }],
};

/** A loss of src/losses and its options without the tensors (those are inputs). */
type LossesConfig =
  | { loss: 'load-balancing'; options: Omit<LoadBalancingOptions, 'attentionMask' | 'globalTokensPerExpert'> }
  | { loss: 'z-loss'; options: Omit<ZLossOptions, 'tokenMask'> }
  | { loss: 'importance'; options: Omit<ImportanceOptions, 'topkIndices'> }
  | { loss: 'expert-bias-update'; options: { updateRate: number } };

const losses: Component<LossesConfig> = {
  name: 'losses',
  summary: 'balancing losses (load balancing by source, z-loss, importance) with grad_logits; the expert-bias update',
  parseConfig(json) {
    const o = objectConfig(json);
    const loss = checkOneOf('config.loss', o.loss, ['load-balancing', 'z-loss', 'importance', 'expert-bias-update'] as const);
    return { loss, options: objectConfig(o.options ?? {}) } as LossesConfig;
  },
  configToJson: (config) => ({ loss: config.loss, options: config.options }),
  run(config, inputs): TensorMap {
    const optional = (name: string) => inputs[name];
    if (config.loss === 'expert-bias-update') {
      const counts = optional('tokens_per_expert');
      if (counts === undefined) throw new MoEOracleError('inputs.tokens_per_expert', 'an int32 or float32 tensor [N]', 'no such tensor');
      return { updated_expert_bias: updateExpertBias(input(inputs, 'expert_bias'), counts, config.options.updateRate) };
    }
    const logits = input(inputs, 'logits');
    const indices = optional('topk_indices') as IntTensor | undefined;
    let result;
    if (config.loss === 'load-balancing') {
      if (indices === undefined) throw new MoEOracleError('inputs.topk_indices', 'an int32 tensor [T, k]', 'no such tensor');
      const globalCounts = optional('global_tokens_per_expert') as Tensor | undefined;
      result = loadBalancingLoss(logits, indices, { ...config.options, attentionMask: optional('attention_mask') as IntTensor | undefined, globalTokensPerExpert: globalCounts });
    } else if (config.loss === 'z-loss') {
      result = routerZLoss(logits, { ...config.options, tokenMask: optional('token_mask') as IntTensor | undefined });
    } else {
      result = importanceLoss(logits, { ...config.options, topkIndices: indices });
    }
    return { loss: tensor([result.loss], [1]), grad_logits: result.gradLogits };
  },
  // The config does not carry T and N: the loss sums T·N score terms (≤ 1024 in the golden cases), each
  // gradient element a softmax row and a count over the tokens (≤ 64).
  reductionLength(_config, output) {
    return output === 'loss' ? 1024 : 64;
  },
  outputs: [
    { name: 'loss', when: (config) => config.loss !== 'expert-bias-update' },
    { name: 'grad_logits', when: (config) => config.loss !== 'expert-bias-update' },
    { name: 'updated_expert_bias', when: (config) => config.loss === 'expert-bias-update' },
  ],
};

const routerBackwardComponent: Component<MoEComponentConfig> = {
  name: 'router-backward',
  summary: "the router's backward: dL/d(topk weights) to logits, gate.weight and x",
  parseConfig: (json) => parseMoEConfig(json, true),
  configToJson: (config) => moeConfigToHuggingFace(config.layer, config.family, { routerOnly: true }),
  run(config, inputs, params, routingOverride, options) {
    const c = resolveMoEConfig(config.layer);
    const x = input(inputs, 'x');
    const routerParams = routerParamsOf(params, c);
    const out = route(x, routerParams, c.router, { routingOverride, backend: options?.backend });
    const { gradLogits } = routerBackward(out.logits, out.topkIndices, input(inputs, 'grad_topk_weights'), c.router);
    const { gradX, gradWeight, gradBias } = routerLinearBackward(x, routerParams.weight, gradLogits);
    const outputs: TensorMap = {
      logits: out.logits, scores: out.scores, topk_indices: out.topkIndices, topk_weights: out.topkWeights, margins: out.margins,
      grad_logits: gradLogits, grad_gate_weight: gradWeight, grad_x: gradX,
    };
    if (routerParams.bias !== undefined) outputs.grad_gate_bias = gradBias;
    return outputs;
  },
  reductionLength(config, output) {
    const c = resolveMoEConfig(config.layer);
    const router = c.hiddenSize + c.numExperts;
    if (output === 'grad_gate_weight' || output === 'grad_gate_bias') return router + c.router.topK + 64; // sums over the T ≤ 64 tokens of the golden cases
    if (output === 'grad_x') return router + c.router.topK + c.numExperts;
    return router + (output === 'topk_weights' || output === 'grad_logits' ? c.router.topK : 0);
  },
  routing: { indices: 'topk_indices', margins: 'margins', scores: 'scores', selectionScores: routerSelectionScores },
  // Term scales (floors of the tolerance magnitude, output-tolerance.ts): by the quotient rule the k
  // chosen experts of a token carry terms of dL/dz of size up to |g|·|w| and the others smaller by
  // their score, so the terms' RMS over N experts is about RMS(g)·RMS(w)·√(k/N); a quarter of that
  // (s(1 − s) ≤ 1/4 bounds a score's derivative) is a lower estimate, which leaves the tolerance of a
  // gradient that does not cancel as it was (at most 1.25× on the committed cases) and gives one that
  // cancels (k = 1 with 'sum': the weight is 1 whatever the logits) a floor on the scale of its terms.
  // dL/dW = Σ_t dL/dz_t ⊗ x_t and dL/db = Σ_t dL/dz_t add √T·RMS(x) and √T, dL/dx = Σ_e dL/dz_e · W_e √N·RMS(W).
  outputs: [
    { name: 'grad_logits', termScale: (_c, t) => gradLogitsTermScale(t) },
    { name: 'grad_gate_weight', termScale: (_c, t) => gradLogitsTermScale(t) * Math.sqrt(tokensOf(t)) * rmsOf(input(t.inputs, 'x')) },
    { name: 'grad_x', termScale: (config, t) => gradLogitsTermScale(t) * Math.sqrt(expertsOf(t)) * rmsOf(routerParamsOf(t.params, resolveMoEConfig(config.layer)).weight) },
    { name: 'grad_gate_bias', when: (config) => resolveMoEConfig(config.layer).router.bias, termScale: (_c, t) => gradLogitsTermScale(t) * Math.sqrt(tokensOf(t)) },
    { name: 'logits' }, { name: 'scores' }, { name: 'topk_indices' }, { name: 'topk_weights' }, { name: 'margins', mayBeInfinite: true },
  ],
};

/** Every component, by name. */
export const COMPONENTS: Record<ComponentName, Component<any>> = {
  moe, router, topk, expert, softmax: softmaxComponent, rmsnorm, activation, losses, 'router-backward': routerBackwardComponent, attention: attentionComponent,
};

/** Looks a component up by name. */
export function getComponent(name: unknown): Component<any> {
  const key = checkOneOf('component', name, Object.keys(COMPONENTS) as ComponentName[]);
  return COMPONENTS[key];
}
