/**
 * The Mixture-of-Experts block of a Hugging Face config.json, read once per family into one typed
 * structure (`HfMoeBlock`) that both the MoE layer (`layer-config.ts`) and the parameter calculators
 * (`model.ts`) use. Keys and defaults follow each family's `transformers` configuration and modelling
 * file (or the model's own remote code where transformers has none):
 *
 *   model_type           experts / k                              expert size                      router
 *   mixtral              num_local_experts / num_experts_per_tok  intermediate_size                softmax → top-k → sum (always)
 *   qwen2_moe            num_experts / num_experts_per_tok        moe_intermediate_size            softmax, norm_topk_prob (default false) → 'sum' | 'none';
 *                                                                                                  shared_expert_intermediate_size behind a sigmoid gate
 *   qwen3_moe            num_experts / num_experts_per_tok        moe_intermediate_size            softmax, norm_topk_prob (default false)
 *   olmoe                num_experts / num_experts_per_tok        intermediate_size                softmax, norm_topk_prob (default false)
 *   deepseek             n_routed_experts / num_experts_per_tok   moe_intermediate_size            softmax; norm_topk_prob with k > 1 → 'sum', ε 1e-20 (DeepSeekMoE MoEGate)
 *   deepseek_v2          n_routed_experts / num_experts_per_tok   moe_intermediate_size            softmax → top-k, · routed_scaling_factor (DeepseekV2Moe;
 *                                                                                                  topk_method greedy | group_limited_greedy with n_group, topk_group)
 *   deepseek_v3          n_routed_experts / num_experts_per_tok   moe_intermediate_size            sigmoid, e_score_correction_bias for selection (topk_method noaux_tc),
 *                                                                                                  norm_topk_prob (default true) → 'sum' ε 1e-20, · routed_scaling_factor
 *                                                                                                  (default 2.5); n_group, topk_group (DeepseekV3TopkRouter)
 *   dbrx                 ffn_config.moe_num_experts / moe_top_k   ffn_config.ffn_hidden_size       softmax, ‖·‖_p with p = moe_normalize_expert_weights (default 1; null: none)
 *   gpt_oss              num_local_experts / num_experts_per_tok  intermediate_size                Linear with bias, top-k on logits, softmax over the k ('softmax-topk');
 *                                                                                                  experts of kind 'gpt-oss' (swiglu_limit, interleaved gate/up, biases)
 *   switch_transformers  num_experts / 1                          d_ff                             softmax, top-1 raw probability, router_bias; expert_capacity
 *                                                                                                  (default 64), router_jitter_noise (default 0.01); dense_act_fn
 *   llama4_text          num_local_experts / num_experts_per_tok  intermediate_size                Llama4Router: top-k of the logits, sigmoid of the chosen ones,
 *   llama4 (text_config)                                          (shared expert: the same size)   weighting the expert's input (Llama4TextMoe); one ungated shared expert
 *
 * DeepSeek's shared experts: n_shared_experts experts of moe_intermediate_size, ungated (one FFN of
 * n_shared_experts · moe_intermediate_size). Absent or null shared-expert keys mean none.
 *
 * Relations between keys are checked here: k ≤ N, n_group divides N, topk_group ≤ n_group, and
 * k ≤ topk_group · N / n_group.
 */
import type { ResolvedRouterConfig } from '../router/router.js';
import type { ExpertKind } from '../experts/kind.js';
import { configFields, type ConfigFields } from './fields.js';

/** Every model_type the reader knows. */
export const HF_MODEL_TYPES = [
  'llama', 'mixtral', 'qwen2_moe', 'qwen3_moe', 'deepseek', 'deepseek_v2', 'deepseek_v3', 'dbrx', 'olmoe', 'gpt_oss', 'switch_transformers', 'llama4_text', 'llama4',
] as const;
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

/** The model types with an MoE block (every one but the dense `llama`). */
export const HF_MOE_MODEL_TYPES = HF_MODEL_TYPES.filter((type) => type !== 'llama') as readonly Exclude<HfModelType, 'llama'>[];
export type HfMoeModelType = (typeof HF_MOE_MODEL_TYPES)[number];

/** An expert kind a config can name: the layer's kinds, plus gpt-oss's (see layer-config.ts). */
export type HfExpertKind = ExpertKind | 'gpt-oss';

/** DeepSeek's group-limited routing: experts in `numGroups` groups, each token picks `topkGroup` groups first. */
export interface HfExpertGroups {
  /** n_group. */
  numGroups: number;
  /** topk_group. */
  topkGroup: number;
  /** How a group is scored: 'max' (DeepSeek-V2 group_limited_greedy) or 'top2-sum' (DeepSeek-V3 noaux_tc). */
  groupScore: 'max' | 'top2-sum';
}

/** One MoE block as a config describes it. */
export interface HfMoeBlock {
  modelType: HfMoeModelType;
  hiddenSize: number;
  /** N. */
  numExperts: number;
  /** k. */
  topK: number;
  expertKind: HfExpertKind;
  /** I of one routed expert. */
  expertIntermediateSize: number;
  /** Biases on every expert projection (gpt-oss). */
  expertBias: boolean;
  /** gpt-oss's `swiglu_limit` (clamp of gate and up); null for other families. */
  swigluLimit: number | null;
  /** The router's settings, every field given (k is `topK`). */
  router: Omit<ResolvedRouterConfig, 'topK'>;
  /** Always-active shared experts; null when none. */
  sharedExperts: { count: number; intermediateSize: number; gate: boolean } | null;
  /** Group-limited routing (DeepSeek n_group > 1); null when the experts form one group. */
  groups: HfExpertGroups | null;
  /** Switch's fixed `expert_capacity` (tokens per expert per sequence; the rest are dropped); null: no limit. */
  expertCapacity: number | null;
  /** Multiplicative router-input jitter ε (Switch, Mixtral `router_jitter_noise`, DBRX `moe_jitter_eps`); transformers applies it only in training. */
  routerJitterNoise: number;
  /** Where the routing weight applies: 'output' (every family but Llama 4) or 'input' (Llama4TextMoe). */
  routerWeightOn: 'output' | 'input';
}

/** d_model (DBRX, Switch), text_config.hidden_size (Llama 4) or hidden_size (every other family). */
export function hiddenSizeOf(f: ConfigFields, modelType: HfModelType): number {
  if (modelType === 'llama4') return f.nested('text_config').int('hidden_size');
  return f.int(modelType === 'dbrx' || modelType === 'switch_transformers' ? 'd_model' : 'hidden_size');
}

/** Default router settings (Mixtral's), overridden per family. */
function routerSettings(settings: Partial<HfMoeBlock['router']>): HfMoeBlock['router'] {
  return {
    scoring: 'softmax', normalization: 'sum', normalizationEpsilon: 0, pnormP: 1, routedScalingFactor: 1, bias: false, scoreCorrectionBias: false,
    ...settings,
  };
}

/** The finite bound of `routed_scaling_factor` (it multiplies float32 weights). */
const SCALING_BOUND = 3.4028234663852886e38;

/** Reads the MoE block of a config of one of the MoE families. */
export function readMoeBlock(f: ConfigFields, modelType: HfMoeModelType): HfMoeBlock {
  // Llama4Config (the multimodal release) nests the text model's keys under text_config.
  if (modelType === 'llama4') return { ...readMoeBlock(f.nested('text_config'), 'llama4_text'), modelType };
  const hiddenSize = hiddenSizeOf(f, modelType);
  const block = (parts: Partial<HfMoeBlock> & Pick<HfMoeBlock, 'numExperts' | 'topK' | 'expertIntermediateSize' | 'router'>): HfMoeBlock => ({
    modelType, hiddenSize, expertKind: 'swiglu', expertBias: false, swigluLimit: null, sharedExperts: null, groups: null, expertCapacity: null, routerJitterNoise: 0, routerWeightOn: 'output',
    ...parts,
  });
  // k ≤ N is checked as each family reads its k.
  const expertsAndK = (expertsKey: string, topKKey: string, from: ConfigFields = f) => {
    const numExperts = from.int(expertsKey);
    return { numExperts, topK: from.int(topKKey, 1, numExperts) };
  };
  const swigluActivation = () => f.oneOfOr('hidden_act', ['silu'] as const, 'silu');
  const normTopKProb = (fallback: boolean) => f.boolOr('norm_topk_prob', fallback);
  switch (modelType) {
    case 'mixtral':
      swigluActivation();
      return block({
        ...expertsAndK('num_local_experts', 'num_experts_per_tok'),
        expertIntermediateSize: f.int('intermediate_size'),
        router: routerSettings({}),
        routerJitterNoise: f.numberOr('router_jitter_noise', 0, 0, 1),
      });
    case 'qwen2_moe':
    case 'qwen3_moe':
    case 'olmoe': {
      swigluActivation();
      const sharedSize = modelType === 'qwen2_moe' ? f.intOr('shared_expert_intermediate_size', 0) : 0;
      return block({
        ...expertsAndK('num_experts', 'num_experts_per_tok'),
        expertIntermediateSize: f.int(modelType === 'olmoe' ? 'intermediate_size' : 'moe_intermediate_size'),
        router: routerSettings({ normalization: normTopKProb(false) ? 'sum' : 'none' }),
        sharedExperts: sharedSize > 0 ? { count: 1, intermediateSize: sharedSize, gate: true } : null,
      });
    }
    case 'deepseek':
    case 'deepseek_v2':
    case 'deepseek_v3':
      return readDeepSeek(f, modelType, block, expertsAndK);
    case 'dbrx': {
      const ffn = f.nestedOrEmpty('ffn_config');
      const activation = ffn.nestedOrEmpty('ffn_act_fn');
      activation.oneOfOr('name', ['silu'] as const, 'silu');
      if (ffn.boolOr('uniform_expert_assignment', false)) ffn.fail('uniform_expert_assignment', 'false (uniform expert assignment is a benchmarking mode, not a router)');
      const p = ffn.has('moe_normalize_expert_weights') ? ffn.number('moe_normalize_expert_weights', Number.MIN_VALUE) : ffn.raw('moe_normalize_expert_weights') === null ? null : 1;
      return block({
        ...expertsAndK('moe_num_experts', 'moe_top_k', ffn),
        expertIntermediateSize: ffn.int('ffn_hidden_size'),
        router: routerSettings(p === null ? { normalization: 'none' } : { normalization: 'pnorm', pnormP: p }),
        routerJitterNoise: ffn.numberOr('moe_jitter_eps', 0, 0, 1),
      });
    }
    case 'gpt_oss': {
      const experts = expertsAndK('num_local_experts', 'num_experts_per_tok');
      // The release config.json repeats k as experts_per_token; the two must agree.
      if (f.has('experts_per_token')) f.int('experts_per_token', experts.topK, experts.topK);
      return block({
        ...experts,
        expertIntermediateSize: f.int('intermediate_size'),
        expertKind: 'gpt-oss',
        expertBias: true,
        swigluLimit: f.numberOr('swiglu_limit', 7, Number.MIN_VALUE),
        router: routerSettings({ normalization: 'softmax-topk', bias: true }),
      });
    }
    case 'switch_transformers': {
      if (f.boolOr('is_gated_act', false)) f.fail('is_gated_act', 'false (gated Switch experts are not a supported expert kind)');
      const activation = f.oneOfOr('dense_act_fn', ['relu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh'] as const, 'relu');
      return block({
        numExperts: f.int('num_experts'),
        topK: 1,
        expertIntermediateSize: f.int('d_ff'),
        expertKind: activation === 'relu' ? 'relu' : activation === 'gelu' ? 'gelu' : 'gelu-tanh',
        router: routerSettings({ normalization: 'none', bias: f.boolOr('router_bias', false) }),
        expertCapacity: f.intOr('expert_capacity', 64, 1),
        routerJitterNoise: f.numberOr('router_jitter_noise', 0.01, 0, 1),
      });
    }
    case 'llama4_text': {
      swigluActivation();
      // Llama4TextConfig has router_jitter_noise, but Llama4TextMoe never applies it: only 0 reads as the model.
      if (f.numberOr('router_jitter_noise', 0, 0, 1) !== 0) f.fail('router_jitter_noise', '0 (Llama4TextMoe does not apply router jitter)');
      const size = f.int('intermediate_size');
      return block({
        ...expertsAndK('num_local_experts', 'num_experts_per_tok'),
        expertIntermediateSize: size,
        // Llama4Router: top-k of the logits, sigmoid of the chosen logits, no normalisation.
        router: routerSettings({ scoring: 'sigmoid', normalization: 'none', selectOn: 'logits' }),
        // Llama4TextMoe: shared_expert = Llama4TextMLP(config), of intermediate_size, ungated.
        sharedExperts: { count: 1, intermediateSize: size, gate: false },
        routerWeightOn: 'input',
      });
    }
  }
}

/** DeepSeekMoE, DeepSeek-V2 and DeepSeek-V3. */
function readDeepSeek(
  f: ConfigFields,
  modelType: 'deepseek' | 'deepseek_v2' | 'deepseek_v3',
  block: (parts: Partial<HfMoeBlock> & Pick<HfMoeBlock, 'numExperts' | 'topK' | 'expertIntermediateSize' | 'router'>) => HfMoeBlock,
  expertsAndK: (expertsKey: string, topKKey: string) => { numExperts: number; topK: number },
): HfMoeBlock {
  f.oneOfOr('hidden_act', ['silu'] as const, 'silu');
  const { numExperts, topK } = expertsAndK('n_routed_experts', 'num_experts_per_tok');
  const expertSize = f.int('moe_intermediate_size');
  const sharedCount = f.intOr('n_shared_experts', 0);
  const sharedExperts = sharedCount > 0 ? { count: sharedCount, intermediateSize: sharedCount * expertSize, gate: false } : null;
  const v3 = modelType === 'deepseek_v3';
  // Each transformers class implements one scoring function whatever scoring_func says; refuse the others.
  f.oneOfOr('scoring_func', [v3 ? 'sigmoid' : 'softmax'] as const, v3 ? 'sigmoid' : 'softmax');
  const topkMethods = modelType === 'deepseek' ? (['greedy'] as const) : v3 ? (['noaux_tc'] as const) : (['greedy', 'group_limited_greedy'] as const);
  const topkMethod = f.oneOfOr('topk_method', topkMethods, topkMethods[0]);

  let groups: HfExpertGroups | null = null;
  if (modelType !== 'deepseek') {
    const numGroups = f.intOr('n_group', 1, 1, numExperts);
    if (numExperts % numGroups !== 0) f.fail('n_group', `a divisor of n_routed_experts (${numExperts})`);
    const topkGroup = f.intOr('topk_group', numGroups, 1, numGroups);
    if (topK > topkGroup * (numExperts / numGroups)) {
      f.fail('topk_group', `at least ${Math.ceil(topK / (numExperts / numGroups))} (num_experts_per_tok ${topK} experts must fit in topk_group groups of ${numExperts / numGroups})`);
    }
    const grouped = numGroups > 1 && (v3 || topkMethod === 'group_limited_greedy');
    groups = grouped ? { numGroups, topkGroup, groupScore: v3 ? 'top2-sum' : 'max' } : null;
  }

  const scaling = () => f.numberOr('routed_scaling_factor', v3 ? 2.5 : 1, -SCALING_BOUND, SCALING_BOUND);
  let router: HfMoeBlock['router'];
  if (modelType === 'deepseek') {
    // DeepSeekMoE MoEGate: renormalises (with + 1e-20) only when k > 1 and norm_topk_prob; no scaling factor.
    const normalise = f.boolOr('norm_topk_prob', false) && topK > 1;
    router = routerSettings(normalise ? { normalization: 'sum', normalizationEpsilon: 1e-20 } : { normalization: 'none' });
  } else if (modelType === 'deepseek_v2') {
    // transformers' DeepseekV2Moe: raw softmax probabilities times routed_scaling_factor. DeepSeek's own
    // code renormalises instead when norm_topk_prob and k > 1 (and then skips the factor): the two
    // disagree, so that setting is refused rather than read one way.
    if (f.boolOr('norm_topk_prob', false) && topK > 1) {
      f.fail('norm_topk_prob', 'false (DeepSeek-V2 with renormalised weights reads differently in transformers and in DeepSeek\'s code)');
    }
    router = routerSettings({ normalization: 'none', routedScalingFactor: scaling() });
  } else {
    // transformers' DeepseekV3TopkRouter / DeepseekV3MoE: sigmoid, selection on score + e_score_correction_bias,
    // weights renormalised with + 1e-20 when norm_topk_prob, then times routed_scaling_factor.
    const normalise = f.boolOr('norm_topk_prob', true);
    router = routerSettings({
      scoring: 'sigmoid',
      normalization: normalise ? 'sum' : 'none',
      normalizationEpsilon: normalise ? 1e-20 : 0,
      routedScalingFactor: scaling(),
      scoreCorrectionBias: true,
    });
  }
  return block({ numExperts, topK, expertIntermediateSize: expertSize, router, sharedExperts, groups });
}

/**
 * Reads the MoE block of a config.json object (every MoE model_type): experts, k, expert kind and
 * size, router settings, shared experts, expert groups, capacity and jitter, as the config gives
 * them (nothing is refused here that the config can express; the layer refuses what it cannot run).
 *
 * @throws MoEOracleError naming the key: an unknown model_type, a missing or mistyped key, k > N, …
 */
export function readHfMoeBlock(json: unknown, where = 'config'): HfMoeBlock {
  const { fields, modelType } = configFields(json, where, HF_MOE_MODEL_TYPES);
  return readMoeBlock(fields, modelType);
}
