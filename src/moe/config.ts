/**
 * Configuration of one MoE layer. Field names are TypeScript-style; each field lists the Hugging
 * Face config.json keys it corresponds to, and `moeConfigFromHuggingFace` reads those keys.
 */
import { checkInteger, checkOneOf, MoEOracleError, describe } from '../tensor/errors.js';
import { resolveRouterOptions, type ResolvedRouterOptions, type Scoring, type WeightNormalization } from '../router/router.js';

/** Expert FFN kind: SwiGLU (Mixtral, DeepSeek, Qwen) or the classic two-matrix FFN with an activation (Switch / GShard). */
export type ExpertKind = 'swiglu' | 'relu' | 'gelu' | 'gelu-tanh';
/** Parameter naming scheme, after the checkpoints it follows (see `names.ts`). */
export type NamingScheme = 'mixtral' | 'deepseek' | 'qwen2-moe' | 'switch';

export const EXPERT_KINDS: readonly ExpertKind[] = ['swiglu', 'relu', 'gelu', 'gelu-tanh'];
export const NAMING_SCHEMES: readonly NamingScheme[] = ['mixtral', 'deepseek', 'qwen2-moe', 'switch'];

/** One MoE layer. Shapes in the docs use H = hiddenSize, N = numExperts, k = topK, I = expertIntermediateSize. */
export interface MoEConfig {
  /** H [hidden_size]. */
  hiddenSize: number;
  /** N, routed experts [num_local_experts (Mixtral), n_routed_experts (DeepSeek), num_experts (Qwen2-MoE, OLMoE)]. */
  numExperts: number;
  /** k, experts per token [num_experts_per_tok]. */
  topK: number;
  /** I, intermediate size of one routed expert [intermediate_size (Mixtral), moe_intermediate_size (DeepSeek, Qwen)]. */
  expertIntermediateSize: number;
  /** Default 'swiglu'. */
  expertKind?: ExpertKind;
  /** Default 'softmax' [scoring_func]. */
  scoring?: Scoring;
  /** Default 'sum' [norm_topk_prob]. */
  normalization?: WeightNormalization;
  /** ε of the 'sum' normalisation; default 0 (DeepSeek-V3: 1e-20). */
  normalizationEpsilon?: number;
  /** p of the 'pnorm' normalisation [moe_normalize_expert_weights]; default 1. */
  pnormP?: number;
  /** [routed_scaling_factor]; default 1. */
  routedScalingFactor?: number;
  /** Router has a bias `gate.bias` (gpt-oss); default false. */
  routerBias?: boolean;
  /** Router has DeepSeek-V3's selection-only `gate.e_score_correction_bias`; default false. */
  scoreCorrectionBias?: boolean;
  /**
   * Intermediate size of the shared expert(s) every token passes through; 0 or absent: none.
   * DeepSeek: n_shared_experts · moe_intermediate_size; Qwen2-MoE: shared_expert_intermediate_size.
   */
  sharedExpertIntermediateSize?: number;
  /** Scale the shared expert by sigmoid(x · w_gate) (Qwen2-MoE `shared_expert_gate`); default false. */
  sharedExpertGate?: boolean;
  /** 'sparse' (top-k, default) or 'dense': every expert runs, weighted by its router score. */
  mode?: 'sparse' | 'dense';
  /** Parameter names; default: 'switch' for classic FFN experts, else 'qwen2-moe' with a gated shared expert, 'deepseek' with an ungated one, else 'mixtral'. */
  naming?: NamingScheme;
}

/** A config with every default filled in and every value checked. */
export interface ResolvedMoEConfig extends Required<MoEConfig> {
  router: ResolvedRouterOptions;
}

const KNOWN_KEYS = new Set([
  'hiddenSize', 'numExperts', 'topK', 'expertIntermediateSize', 'expertKind', 'scoring', 'normalization',
  'normalizationEpsilon', 'pnormP', 'routedScalingFactor', 'routerBias', 'scoreCorrectionBias',
  'sharedExpertIntermediateSize', 'sharedExpertGate', 'mode', 'naming',
]);

function checkBoolean(argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new MoEOracleError(argument, 'true or false', describe(value));
  return value;
}

/** Checks a config and fills in defaults. Unknown keys are rejected (they are usually typos). */
export function resolveMoEConfig(config: MoEConfig): ResolvedMoEConfig {
  if (typeof config !== 'object' || config === null) throw new MoEOracleError('config', 'an MoE config object', describe(config));
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) throw new MoEOracleError(`config.${key}`, `one of the known keys ${[...KNOWN_KEYS].join(', ')}`, 'an unknown key');
  }
  const hiddenSize = checkInteger('config.hiddenSize', config.hiddenSize, 1);
  const numExperts = checkInteger('config.numExperts', config.numExperts, 1);
  const topK = checkInteger('config.topK', config.topK, 1, numExperts);
  const expertIntermediateSize = checkInteger('config.expertIntermediateSize', config.expertIntermediateSize, 1);
  const expertKind = checkOneOf('config.expertKind', config.expertKind ?? 'swiglu', EXPERT_KINDS);
  const sharedExpertIntermediateSize = checkInteger('config.sharedExpertIntermediateSize', config.sharedExpertIntermediateSize ?? 0, 0);
  const sharedExpertGate = checkBoolean('config.sharedExpertGate', config.sharedExpertGate, false);
  if (sharedExpertGate && sharedExpertIntermediateSize === 0) {
    throw new MoEOracleError('config.sharedExpertGate', 'false when there is no shared expert (sharedExpertIntermediateSize 0)', 'true');
  }
  const defaultNaming: NamingScheme =
    expertKind !== 'swiglu' ? 'switch' : sharedExpertIntermediateSize > 0 ? (sharedExpertGate ? 'qwen2-moe' : 'deepseek') : 'mixtral';
  const naming = checkOneOf('config.naming', config.naming ?? defaultNaming, NAMING_SCHEMES);
  if ((naming === 'switch') !== (expertKind !== 'swiglu')) {
    throw new MoEOracleError(
      'config.naming',
      expertKind === 'swiglu' ? "'mixtral', 'deepseek' or 'qwen2-moe' for SwiGLU experts" : "'switch' for classic FFN experts",
      JSON.stringify(naming),
    );
  }
  const router = resolveRouterOptions(
    {
      topK,
      scoring: config.scoring,
      normalization: config.normalization,
      normalizationEpsilon: config.normalizationEpsilon,
      pnormP: config.pnormP,
      routedScalingFactor: config.routedScalingFactor,
    },
    numExperts,
  );
  return {
    hiddenSize,
    numExperts,
    topK,
    expertIntermediateSize,
    expertKind,
    scoring: router.scoring,
    normalization: router.normalization,
    normalizationEpsilon: router.normalizationEpsilon,
    pnormP: router.pnormP,
    routedScalingFactor: router.routedScalingFactor,
    routerBias: checkBoolean('config.routerBias', config.routerBias, false),
    scoreCorrectionBias: checkBoolean('config.scoreCorrectionBias', config.scoreCorrectionBias, false),
    sharedExpertIntermediateSize,
    sharedExpertGate,
    mode: checkOneOf('config.mode', config.mode ?? 'sparse', ['sparse', 'dense'] as const),
    naming,
    router,
  };
}
