/**
 * Configuration of one MoE layer: one shape, validated once at the public boundary
 * (`resolveMoEConfig`), after which the layer calls unchecked code. The router's settings are nested
 * under `router` (the same `RouterConfig` that `route` takes alone). Field docs list the Hugging Face
 * config.json keys each corresponds to; src/hf reads those keys.
 *
 *   { hiddenSize, numExperts, expertIntermediateSize,
 *     router: { topK, scoring, normalization, normalizationEpsilon, pnormP, routedScalingFactor, bias, scoreCorrectionBias },
 *     expertKind, sharedExpertIntermediateSize, sharedExpertGate, mode, naming }
 *
 * The router may instead be expert choice (`router: { expertChoice: { formula, factor } }`) or Soft MoE
 * (`router: { softMoE: { slotsPerExpert } }`); neither combines with dense mode, a shared expert or
 * input weighting.
 */
import { checkBoolean, checkInteger, checkOneOf, checkPlainObject, MoEOracleError } from '../tensor/errors.js';
import { resolveRouterConfig, type ResolvedRouterConfig, type RouterConfig } from '../router/router.js';
import { EXPERT_KINDS, type ExpertKind } from '../experts/kind.js';

/** Parameter naming scheme, after the checkpoints it follows (see `names.ts`). */
export type NamingScheme = 'mixtral' | 'deepseek' | 'qwen2-moe' | 'switch' | 'gpt-oss' | 'llama4';

export const NAMING_SCHEMES: readonly NamingScheme[] = ['mixtral', 'deepseek', 'qwen2-moe', 'switch', 'gpt-oss', 'llama4'];

/** One MoE layer. Shapes in the docs use H = hiddenSize, N = numExperts, k = router.topK, I = expertIntermediateSize. */
export interface MoEConfig {
  /** H [hidden_size]. */
  hiddenSize: number;
  /** N, routed experts [num_local_experts (Mixtral), n_routed_experts (DeepSeek), num_experts (Qwen2-MoE, OLMoE)]. */
  numExperts: number;
  /** I, intermediate size of one routed expert [intermediate_size (Mixtral), moe_intermediate_size (DeepSeek, Qwen)]. */
  expertIntermediateSize: number;
  /** The router: k, scoring, weight normalisation, scaling, bias flags. */
  router: RouterConfig;
  /** Default 'swiglu'. */
  expertKind?: ExpertKind;
  /**
   * Intermediate size of the shared expert(s) every token passes through; 0 or absent: none.
   * DeepSeek: n_shared_experts · moe_intermediate_size; Qwen2-MoE: shared_expert_intermediate_size.
   */
  sharedExpertIntermediateSize?: number;
  /** Scale the shared expert by sigmoid(x · w_gate) (Qwen2-MoE `shared_expert_gate`); default false. */
  sharedExpertGate?: boolean;
  /** 'sparse' (top-k, default) or 'dense': every expert runs, weighted by its router score. */
  mode?: 'sparse' | 'dense';
  /** Parameter names; default: 'switch' for classic FFN experts, 'gpt-oss' for gpt-oss experts, else 'qwen2-moe' with a gated shared expert, 'deepseek' with an ungated one, else 'mixtral'. */
  naming?: NamingScheme;
  /**
   * Where the routing weight applies: 'output' (default: y = Σ w·E(x)) or 'input' (Llama 4's
   * Llama4TextMoe: y = Σ E(w·x); vLLM `apply_router_weight_on_input`).
   */
  routerWeightOn?: 'output' | 'input';
}

/** A config with every default filled in and every value checked. It is itself a valid MoEConfig. */
export interface ResolvedMoEConfig extends Required<Omit<MoEConfig, 'router'>> {
  router: ResolvedRouterConfig;
}

const KNOWN_KEYS = [
  'hiddenSize', 'numExperts', 'expertIntermediateSize', 'router', 'expertKind', 'sharedExpertIntermediateSize', 'sharedExpertGate', 'mode', 'naming', 'routerWeightOn',
];
/** Keys of the earlier flat config shape, now under `router`. */
const MOVED_TO_ROUTER: Record<string, string> = {
  topK: 'router.topK', scoring: 'router.scoring', normalization: 'router.normalization', normalizationEpsilon: 'router.normalizationEpsilon',
  pnormP: 'router.pnormP', routedScalingFactor: 'router.routedScalingFactor', routerBias: 'router.bias', scoreCorrectionBias: 'router.scoreCorrectionBias',
};

/** Checks a config and fills in defaults. Unknown keys are rejected (they are usually typos). */
export function resolveMoEConfig(config: MoEConfig): ResolvedMoEConfig {
  checkPlainObject('config', config, KNOWN_KEYS, MOVED_TO_ROUTER);
  const hiddenSize = checkInteger('config.hiddenSize', config.hiddenSize, 1);
  const numExperts = checkInteger('config.numExperts', config.numExperts, 1);
  const expertIntermediateSize = checkInteger('config.expertIntermediateSize', config.expertIntermediateSize, 1);
  const router = resolveRouterConfig(config.router, numExperts, 'config.router');
  const expertKind = checkOneOf('config.expertKind', config.expertKind ?? 'swiglu', EXPERT_KINDS);
  const sharedExpertIntermediateSize = checkInteger('config.sharedExpertIntermediateSize', config.sharedExpertIntermediateSize ?? 0, 0);
  const sharedExpertGate = checkBoolean('config.sharedExpertGate', config.sharedExpertGate, false);
  if (sharedExpertGate && sharedExpertIntermediateSize === 0) {
    throw new MoEOracleError('config.sharedExpertGate', 'false when there is no shared expert (sharedExpertIntermediateSize 0)', 'true');
  }
  const defaultNaming: NamingScheme =
    expertKind === 'gpt-oss' ? 'gpt-oss' : expertKind !== 'swiglu' ? 'switch' : sharedExpertIntermediateSize > 0 ? (sharedExpertGate ? 'qwen2-moe' : 'deepseek') : 'mixtral';
  const naming = checkOneOf('config.naming', config.naming ?? defaultNaming, NAMING_SCHEMES);
  const schemesOfKind = expertKind === 'swiglu' ? ['mixtral', 'deepseek', 'qwen2-moe', 'llama4'] : expertKind === 'gpt-oss' ? ['gpt-oss'] : ['switch'];
  if (!schemesOfKind.includes(naming)) {
    throw new MoEOracleError('config.naming', `${schemesOfKind.map((n) => `'${n}'`).join(' or ')} for ${expertKind} experts`, JSON.stringify(naming));
  }
  if (expertKind === 'gpt-oss' && sharedExpertIntermediateSize > 0) {
    throw new MoEOracleError('config.sharedExpertIntermediateSize', '0 with gpt-oss experts (gpt-oss has no shared expert)', String(sharedExpertIntermediateSize));
  }
  const mode = checkOneOf('config.mode', config.mode ?? 'sparse', ['sparse', 'dense'] as const);
  const routerWeightOn = checkOneOf('config.routerWeightOn', config.routerWeightOn ?? 'output', ['output', 'input'] as const);
  if (router.kind === 'expert-choice' || router.kind === 'soft-moe') {
    // No source pairs expert choice or Soft MoE with these (src/moe/expert-choice.ts, soft-moe.ts).
    const algorithm = router.kind === 'expert-choice' ? 'router.expertChoice' : 'router.softMoE';
    if (mode === 'dense') throw new MoEOracleError('config.mode', `'sparse' with ${algorithm} (dense mode is token choice with k = N)`, "'dense'");
    if (sharedExpertIntermediateSize > 0) throw new MoEOracleError('config.sharedExpertIntermediateSize', `0 with ${algorithm} (no source adds a shared expert to it)`, String(sharedExpertIntermediateSize));
    if (routerWeightOn === 'input') throw new MoEOracleError('config.routerWeightOn', `'output' with ${algorithm} (Llama 4's input weighting is token choice)`, "'input'");
  }
  return {
    hiddenSize,
    numExperts,
    expertIntermediateSize,
    router,
    expertKind,
    sharedExpertIntermediateSize,
    sharedExpertGate,
    mode,
    naming,
    routerWeightOn,
  };
}
