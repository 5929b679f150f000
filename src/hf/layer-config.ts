/**
 * The MoE layer's config (`MoEConfig`) from a Hugging Face config.json, and back.
 *
 *   moeConfigFromHuggingFace(json)          config.json → MoEConfig: `readMoeBlock` (moe-block.ts), then
 *                                           `refuseWhatTheLayerCannotRun`, then the MoEConfig fields
 *   moeConfigToHuggingFace(config, family)  MoEConfig → that family's keys + `moe_oracle` (the exact
 *                                           MoEConfig); the keys are written only when reading them back
 *                                           gives the same layer, else it throws
 *
 * A config that carries a `moe_oracle` key (as golden files do) is read from that key, exactly; when it
 * also carries a `model_type`, its family keys must describe the same layer (checked), so a file can
 * never say one layer in Hugging Face keys and run another.
 *
 * "The same layer" compares every resolved MoEConfig field except `naming` (parameter names are the
 * file's convention, stated in `moe_oracle.naming`; DBRX's checkpoint, for one, has fused tensors no
 * per-expert scheme names). For a router-only case (`routerOnly`), only the router, `hiddenSize` and
 * `numExperts` are compared, and the expert kind is not refused (the gpt-oss router runs on its own).
 *
 * Floats are written as floats (`"routed_scaling_factor": 1.0`): transformers 5 rejects the integer 1
 * for a float field; `stringifyHfConfig` writes them so.
 */
import { checkBoolean, checkObject, checkOptions, MoEOracleError, describe } from '../tensor/errors.js';
import { EXPERT_KINDS, type ExpertKind } from '../experts/kind.js';
import { resolveMoEConfig, type MoEConfig, type ResolvedMoEConfig } from '../moe/config.js';
import type { RouterConfig } from '../router/router.js';
import type { CapacityConfig } from '../router/capacity.js';
import { configFields, type HfJson } from './fields.js';
import { HF_MOE_MODEL_TYPES, readMoeBlock, type HfMoeBlock, type HfMoeModelType } from './moe-block.js';

/** Options of `moeConfigFromHuggingFace` / `moeConfigToHuggingFace`. */
export interface HfLayerOptions {
  /** Read or write only what a router needs: the expert kind is not refused, expert fields are not compared. */
  routerOnly?: boolean;
  /** How to name the config in messages (a file path); default `config`. */
  where?: string;
  /**
   * Read the model in training mode (transformers' `self.training`): router jitter (`router_jitter_noise`,
   * DBRX `moe_jitter_eps`) is drawn from the "router.jitter" stream with this seed. Default: evaluation
   * mode, where transformers never applies the jitter: it is kept in the config with `enabled: false`,
   * which is the plain router bit for bit.
   */
  training?: { seed: number };
  /**
   * What a token that Switch's fixed `expert_capacity` drops gives, after the transformers version read:
   * 'zero' (default; transformers since PR #37123, 2025, `next_states = torch.zeros(...)`; the paper,
   * flaxformer) or 'pass-through' (transformers before it, `next_states = hidden_states.clone()`, so the
   * output is `router_probs * hidden_states`).
   */
  switchDroppedTokens?: 'zero' | 'pass-through';
  /**
   * Tokens per batch row: transformers' SwitchTransformersTop1Router counts each expert's tokens with a
   * cumsum along the sequence of each row, so the capacity holds per row (`router.capacity.groupSize`).
   * Default: every token given to the layer is one row.
   */
  sequenceLength?: number;
}

/**
 * The one place that refuses what the MoE layer cannot run from config.json, each with the key that
 * asks for it. Every routing setting the readers know now maps onto the router (groups, Switch's
 * capacity, router jitter), so what is left is an expert kind the layer does not implement.
 */
function refuseWhatTheLayerCannotRun(block: HfMoeBlock, where: string, routerOnly: boolean): void {
  if (!routerOnly && !(EXPERT_KINDS as readonly string[]).includes(block.expertKind)) {
    throw new MoEOracleError(
      `${where}.model_type`,
      `a model whose experts are one of the layer's expert kinds ${EXPERT_KINDS.join(', ')} (read for model_type ${JSON.stringify(block.modelType)})`,
      JSON.stringify(block.modelType),
    );
  }
}

/** The router's variants of a block: DeepSeek's groups, Switch's capacity, router jitter. */
function routerVariantsOf(block: HfMoeBlock, options: HfLayerOptions): Pick<RouterConfig, 'groups' | 'capacity' | 'noise'> {
  const variants: Pick<RouterConfig, 'groups' | 'capacity' | 'noise'> = {};
  if (block.groups !== null) {
    // DeepSeek-V3 noaux_tc: a group scores the sum of its top-2 biased scores; V2 group_limited_greedy: its maximum.
    const method = block.groups.groupScore === 'top2-sum' ? 'noaux_tc' : 'group_limited_greedy';
    variants.groups = { method, numGroups: block.groups.numGroups, topkGroup: block.groups.topkGroup };
  }
  if (block.expertCapacity !== null) {
    // SwitchTransformersTop1Router: token_priority = cumsum(one_hot(argmax)) along each row's sequence,
    // kept while ≤ expert_capacity: the first expert_capacity tokens of the row, in order (k = 1).
    const capacity: CapacityConfig = { formula: 'fixed', expertCapacity: block.expertCapacity, dropped: options.switchDroppedTokens ?? 'zero' };
    if (options.sequenceLength !== undefined) capacity.groupSize = options.sequenceLength;
    variants.capacity = capacity;
  }
  if (block.routerJitterNoise !== 0) {
    variants.noise = options.training === undefined
      ? { kind: 'jitter', epsilon: block.routerJitterNoise, seed: 0, enabled: false }
      : { kind: 'jitter', epsilon: block.routerJitterNoise, seed: options.training.seed };
  }
  return variants;
}

/** The MoEConfig of a block the layer can run. */
function layerConfigOf(block: HfMoeBlock, routerOnly: boolean, options: HfLayerOptions): MoEConfig {
  const router: RouterConfig = { topK: block.topK, ...block.router, ...routerVariantsOf(block, options) };
  if (router.selectOn === undefined) delete router.selectOn;
  const shared = block.sharedExperts;
  const expertKind: ExpertKind = (EXPERT_KINDS as readonly string[]).includes(block.expertKind) ? (block.expertKind as ExpertKind) : 'swiglu';
  const config: MoEConfig = {
    hiddenSize: block.hiddenSize,
    numExperts: block.numExperts,
    expertIntermediateSize: block.expertIntermediateSize,
    router,
    expertKind,
    sharedExpertIntermediateSize: shared?.intermediateSize ?? 0,
    sharedExpertGate: shared?.gate ?? false,
  };
  if (block.routerWeightOn === 'input') config.routerWeightOn = 'input';
  if (expertKind === 'gpt-oss') config.naming = 'gpt-oss';
  else if (expertKind !== 'swiglu') config.naming = 'switch';
  else if (block.modelType === 'llama4' || block.modelType === 'llama4_text') config.naming = 'llama4';
  else if (block.modelType === 'mixtral' || block.modelType === 'dbrx' || block.modelType === 'gpt_oss') config.naming = 'mixtral';
  else if (block.modelType.startsWith('deepseek')) config.naming = 'deepseek';
  else config.naming = 'qwen2-moe';
  if (routerOnly && expertKind !== block.expertKind) config.naming = 'mixtral';
  return config;
}

/**
 * Reads one MoE layer's config from a Hugging Face config.json object (model_type mixtral, qwen2_moe,
 * qwen3_moe, olmoe, deepseek, deepseek_v2, deepseek_v3, dbrx, gpt_oss, switch_transformers), or from its
 * `moe_oracle` key when present.
 *
 * @throws MoEOracleError naming the key: a missing or mistyped key, an impossible relation (k > N), or
 *   a setting the layer cannot run yet (group-limited routing, expert capacity, router jitter, gpt-oss experts)
 */
export function moeConfigFromHuggingFace(json: unknown, options: HfLayerOptions = {}): MoEConfig {
  checkOptions('options', options);
  const where = options.where ?? 'config';
  if (typeof where !== 'string') throw new MoEOracleError('options.where', 'a name for the config in messages (a file path)', describe(where));
  const routerOnly = checkBoolean('options.routerOnly', options.routerOnly, false);
  if (options.training !== undefined) checkObject('options.training', options.training, 'an object { seed } (training mode)');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new MoEOracleError(where, 'a JSON object', describe(json));
  const object = json as HfJson;
  if (object.moe_oracle !== undefined) {
    const exact = object.moe_oracle as MoEConfig;
    const resolved = resolveMoEConfig(exact);
    if (object.model_type !== undefined) {
      const { moe_oracle: _, ...familyKeys } = object;
      const fromKeys = resolveMoEConfig(moeConfigFromHuggingFace(familyKeys, options));
      const difference = firstDifference(resolved, fromKeys, routerOnly);
      if (difference !== null) {
        throw new MoEOracleError(`${where}.model_type`, `Hugging Face keys that describe the layer in ${where}.moe_oracle`, `keys that read as another layer (${difference})`);
      }
    }
    return exact;
  }
  const { fields, modelType } = configFields(object, where, HF_MOE_MODEL_TYPES);
  const block = readMoeBlock(fields, modelType);
  refuseWhatTheLayerCannotRun(block, where, routerOnly);
  const config = layerConfigOf(block, routerOnly, options);
  resolveMoEConfig(config);
  return config;
}

/** The first field in which two resolved configs differ, as `field: a vs b`; null when they agree. */
export function firstDifference(a: ResolvedMoEConfig, b: ResolvedMoEConfig, routerOnly = false): string | null {
  const fields: Array<[string, unknown, unknown]> = [
    ['hiddenSize', a.hiddenSize, b.hiddenSize],
    ['numExperts', a.numExperts, b.numExperts],
    ...[...new Set([...Object.keys(a.router), ...Object.keys(b.router)])].map((key): [string, unknown, unknown] => [`router.${key}`, a.router[key as keyof typeof a.router], b.router[key as keyof typeof b.router]]),
  ];
  if (!routerOnly) {
    fields.push(
      ['expertIntermediateSize', a.expertIntermediateSize, b.expertIntermediateSize],
      ['expertKind', a.expertKind, b.expertKind],
      ['sharedExpertIntermediateSize', a.sharedExpertIntermediateSize, b.sharedExpertIntermediateSize],
      ['sharedExpertGate', a.sharedExpertGate, b.sharedExpertGate],
      ['mode', a.mode, b.mode],
      ['routerWeightOn', a.routerWeightOn, b.routerWeightOn],
    );
  }
  // The router's variants (groups, capacity, noise) are objects, resolved in a fixed key order: compared as JSON.
  const same = (left: unknown, right: unknown) => (typeof left === 'object' || typeof right === 'object' ? JSON.stringify(left) === JSON.stringify(right) : left === right);
  for (const [field, left, right] of fields) if (!same(left, right)) return `${field}: ${JSON.stringify(left)} vs ${JSON.stringify(right)}`;
  return null;
}

/**
 * The families `moeConfigToHuggingFace` can write: every MoE family (whether its keys describe a given
 * layer exactly is checked on each write).
 */
export const HF_LAYER_FAMILIES = HF_MOE_MODEL_TYPES;
export type HfLayerFamily = HfMoeModelType;

/** One family's keys for a resolved config (whether they describe it exactly is checked by the caller). */
function familyKeys(c: ResolvedMoEConfig, family: HfLayerFamily): HfJson {
  const k = c.router.topK;
  const normTopKProb = c.router.normalization === 'sum';
  const jitter = c.router.noise?.kind === 'jitter' ? c.router.noise.epsilon : undefined;
  const groups = c.router.groups;
  switch (family) {
    case 'mixtral':
      return {
        model_type: 'mixtral', hidden_size: c.hiddenSize, intermediate_size: c.expertIntermediateSize, num_local_experts: c.numExperts, num_experts_per_tok: k,
        ...(jitter === undefined ? {} : { router_jitter_noise: jitter }),
      };
    case 'olmoe':
      return { model_type: 'olmoe', hidden_size: c.hiddenSize, intermediate_size: c.expertIntermediateSize, num_experts: c.numExperts, num_experts_per_tok: k, norm_topk_prob: normTopKProb };
    case 'qwen2_moe':
    case 'qwen3_moe':
      return {
        model_type: family, hidden_size: c.hiddenSize, moe_intermediate_size: c.expertIntermediateSize, num_experts: c.numExperts, num_experts_per_tok: k,
        ...(family === 'qwen2_moe' ? { shared_expert_intermediate_size: c.sharedExpertIntermediateSize } : {}),
        norm_topk_prob: normTopKProb,
      };
    case 'deepseek':
      return {
        model_type: 'deepseek', hidden_size: c.hiddenSize, moe_intermediate_size: c.expertIntermediateSize, n_routed_experts: c.numExperts, num_experts_per_tok: k,
        n_shared_experts: c.sharedExpertIntermediateSize / c.expertIntermediateSize, scoring_func: c.router.scoring, norm_topk_prob: normTopKProb,
      };
    case 'deepseek_v2':
    case 'deepseek_v3':
      return {
        model_type: family, hidden_size: c.hiddenSize, moe_intermediate_size: c.expertIntermediateSize, n_routed_experts: c.numExperts, num_experts_per_tok: k,
        n_shared_experts: c.sharedExpertIntermediateSize / c.expertIntermediateSize,
        scoring_func: c.router.scoring,
        topk_method: family === 'deepseek_v3' ? 'noaux_tc' : groups === undefined ? 'greedy' : 'group_limited_greedy',
        n_group: groups?.numGroups ?? 1, topk_group: groups?.topkGroup ?? 1,
        norm_topk_prob: normTopKProb, routed_scaling_factor: c.router.routedScalingFactor,
      };
    case 'dbrx':
      return {
        model_type: 'dbrx', d_model: c.hiddenSize,
        ffn_config: {
          ffn_hidden_size: c.expertIntermediateSize, moe_num_experts: c.numExperts, moe_top_k: k,
          moe_normalize_expert_weights: c.router.normalization === 'pnorm' ? c.router.pnormP : null,
          ...(jitter === undefined ? {} : { moe_jitter_eps: jitter }),
        },
      };
    case 'gpt_oss':
      return { model_type: 'gpt_oss', hidden_size: c.hiddenSize, intermediate_size: c.expertIntermediateSize, num_local_experts: c.numExperts, num_experts_per_tok: k };
    case 'switch_transformers': {
      const capacity = c.router.capacity;
      return {
        model_type: 'switch_transformers', d_model: c.hiddenSize, d_ff: c.expertIntermediateSize, num_experts: c.numExperts,
        expert_capacity: capacity?.expertCapacity ?? null, router_bias: c.router.bias, router_jitter_noise: jitter ?? 0,
        dense_act_fn: c.expertKind === 'gelu-tanh' ? 'gelu_new' : c.expertKind,
      };
    }
    case 'llama4_text':
    case 'llama4': {
      const text = { hidden_size: c.hiddenSize, intermediate_size: c.expertIntermediateSize, num_local_experts: c.numExperts, num_experts_per_tok: k };
      return family === 'llama4' ? { model_type: 'llama4', text_config: text } : { model_type: 'llama4_text', ...text };
    }
  }
}

/**
 * A config as stored in golden files and written by `run`: `family`'s Hugging Face keys (when given)
 * plus `moe_oracle`, the exact MoEConfig. Without a family, only `moe_oracle` (no model_type).
 *
 * @throws MoEOracleError when `family`'s keys, read back, describe another layer than `config`
 */
export function moeConfigToHuggingFace(config: MoEConfig, family?: HfLayerFamily | null, options: HfLayerOptions = {}): HfJson {
  checkOptions('options', options);
  const resolved = resolveMoEConfig(config);
  if (family === undefined || family === null) return { moe_oracle: { ...config } };
  const keys = familyKeys(resolved, family);
  let difference: string | null;
  try {
    difference = firstDifference(resolved, resolveMoEConfig(moeConfigFromHuggingFace(keys, options)), options.routerOnly);
  } catch (error) {
    if (!(error instanceof MoEOracleError)) throw error;
    difference = error.message;
  }
  if (difference !== null) throw new MoEOracleError('family', `a model_type whose keys describe this layer exactly`, `${JSON.stringify(family)} (${difference})`);
  return { ...keys, moe_oracle: { ...config } };
}

/** Keys whose values are floats in the transformers configs: written with a decimal point. */
const FLOAT_KEYS = new Set(['routed_scaling_factor', 'moe_normalize_expert_weights', 'router_jitter_noise', 'moe_jitter_eps', 'swiglu_limit']);

/**
 * JSON.stringify without whitespace (keys in insertion order, undefined values left out), except that
 * an integral value of a float key is written as a float (`1.0`, not `1`), as transformers 5 requires.
 */
export function stringifyHfConfig(value: unknown, key = ''): string {
  if (typeof value === 'number' && FLOAT_KEYS.has(key) && Number.isInteger(value)) return value.toFixed(1);
  if (Array.isArray(value)) return `[${value.map((item) => stringifyHfConfig(item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${stringifyHfConfig(item, name)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
