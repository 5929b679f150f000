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
import { MoEOracleError, describe } from '../tensor/errors.js';
import { EXPERT_KINDS, type ExpertKind } from '../experts/kind.js';
import { resolveMoEConfig, type MoEConfig, type ResolvedMoEConfig } from '../moe/config.js';
import { configFields, type HfJson } from './fields.js';
import { HF_MOE_MODEL_TYPES, readMoeBlock, type HfMoeBlock, type HfMoeModelType } from './moe-block.js';

/** Options of `moeConfigFromHuggingFace` / `moeConfigToHuggingFace`. */
export interface HfLayerOptions {
  /** Read or write only what a router needs: the expert kind is not refused, expert fields are not compared. */
  routerOnly?: boolean;
  /** How to name the config in messages (a file path); default `config`. */
  where?: string;
}

/**
 * The one place that refuses what the MoE layer config does not carry from config.json yet, each
 * with the key that asks for it: gpt-oss experts (once `'gpt-oss'` is in EXPERT_KINDS this passes by
 * itself), group-limited routing and Switch's expert capacity (the router now runs both: mapping
 * `HfMoeBlock.groups` / `expertCapacity` to `RouterConfig.groups` / `capacity` lifts these), router jitter.
 */
function refuseWhatTheLayerCannotRun(block: HfMoeBlock, where: string, routerOnly: boolean): void {
  const fail = (key: string, expected: string, actual: string): never => {
    throw new MoEOracleError(`${where}.${key}`, `${expected} (read for model_type ${JSON.stringify(block.modelType)})`, actual);
  };
  if (!routerOnly && !(EXPERT_KINDS as readonly string[]).includes(block.expertKind)) {
    fail('model_type', `a model whose experts are one of the layer's expert kinds ${EXPERT_KINDS.join(', ')} (the '${block.expertKind}' expert kind is not implemented yet)`, JSON.stringify(block.modelType));
  }
  if (block.groups !== null && block.groups.topkGroup < block.groups.numGroups) {
    fail('topk_group', `n_group (${block.groups.numGroups}): group-limited routing is not read from config.json into the layer config yet`, String(block.groups.topkGroup));
  }
  if (block.expertCapacity !== null) {
    fail('expert_capacity', 'no capacity limit: Switch\'s fixed expert_capacity (transformers applies it always, default 64) is not read from config.json into the layer config yet', String(block.expertCapacity));
  }
  if (block.routerJitterNoise !== 0) {
    const key = block.modelType === 'dbrx' ? 'ffn_config.moe_jitter_eps' : 'router_jitter_noise';
    fail(key, '0: router jitter is not modelled (transformers applies it only in training, so 0 reads the same model for inference)', String(block.routerJitterNoise));
  }
}

/** The MoEConfig of a block the layer can run. */
function layerConfigOf(block: HfMoeBlock, routerOnly: boolean): MoEConfig {
  const router = { topK: block.topK, ...block.router };
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
  if (expertKind === 'gpt-oss') config.naming = 'gpt-oss';
  else if (expertKind !== 'swiglu') config.naming = 'switch';
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
  const where = options.where ?? 'config';
  const routerOnly = options.routerOnly ?? false;
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
  const config = layerConfigOf(block, routerOnly);
  resolveMoEConfig(config);
  return config;
}

/** The first field in which two resolved configs differ, as `field: a vs b`; null when they agree. */
export function firstDifference(a: ResolvedMoEConfig, b: ResolvedMoEConfig, routerOnly = false): string | null {
  const fields: Array<[string, unknown, unknown]> = [
    ['hiddenSize', a.hiddenSize, b.hiddenSize],
    ['numExperts', a.numExperts, b.numExperts],
    ...Object.keys(a.router).map((key): [string, unknown, unknown] => [`router.${key}`, a.router[key as keyof typeof a.router], b.router[key as keyof typeof b.router]]),
  ];
  if (!routerOnly) {
    fields.push(
      ['expertIntermediateSize', a.expertIntermediateSize, b.expertIntermediateSize],
      ['expertKind', a.expertKind, b.expertKind],
      ['sharedExpertIntermediateSize', a.sharedExpertIntermediateSize, b.sharedExpertIntermediateSize],
      ['sharedExpertGate', a.sharedExpertGate, b.sharedExpertGate],
      ['mode', a.mode, b.mode],
    );
  }
  for (const [field, left, right] of fields) if (left !== right) return `${field}: ${JSON.stringify(left)} vs ${JSON.stringify(right)}`;
  return null;
}

/**
 * The families `moeConfigToHuggingFace` can write: every MoE family but Switch, whose fixed expert
 * capacity the layer does not model (its keys could never describe a layer exactly).
 */
export const HF_LAYER_FAMILIES = HF_MOE_MODEL_TYPES.filter((type) => type !== 'switch_transformers') as readonly Exclude<HfMoeModelType, 'switch_transformers'>[];
export type HfLayerFamily = (typeof HF_LAYER_FAMILIES)[number];

/** One family's keys for a resolved config (whether they describe it exactly is checked by the caller). */
function familyKeys(c: ResolvedMoEConfig, family: HfLayerFamily): HfJson {
  const k = c.router.topK;
  const normTopKProb = c.router.normalization === 'sum';
  switch (family) {
    case 'mixtral':
      return { model_type: 'mixtral', hidden_size: c.hiddenSize, intermediate_size: c.expertIntermediateSize, num_local_experts: c.numExperts, num_experts_per_tok: k };
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
        scoring_func: c.router.scoring, topk_method: family === 'deepseek_v3' ? 'noaux_tc' : 'greedy', n_group: 1, topk_group: 1,
        norm_topk_prob: normTopKProb, routed_scaling_factor: c.router.routedScalingFactor,
      };
    case 'dbrx':
      return {
        model_type: 'dbrx', d_model: c.hiddenSize,
        ffn_config: {
          ffn_hidden_size: c.expertIntermediateSize, moe_num_experts: c.numExperts, moe_top_k: k,
          moe_normalize_expert_weights: c.router.normalization === 'pnorm' ? c.router.pnormP : null,
        },
      };
    case 'gpt_oss':
      return { model_type: 'gpt_oss', hidden_size: c.hiddenSize, intermediate_size: c.expertIntermediateSize, num_local_experts: c.numExperts, num_experts_per_tok: k };
  }
}

/**
 * A config as stored in golden files and written by `run`: `family`'s Hugging Face keys (when given)
 * plus `moe_oracle`, the exact MoEConfig. Without a family, only `moe_oracle` (no model_type).
 *
 * @throws MoEOracleError when `family`'s keys, read back, describe another layer than `config`
 */
export function moeConfigToHuggingFace(config: MoEConfig, family?: HfLayerFamily | null, options: HfLayerOptions = {}): HfJson {
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
