/**
 * Reads a Hugging Face `config.json` into a `ModelDescription`.
 *
 * Each family names the same things differently; this file is the one place that knows the key
 * names, the defaults and the layer-placement rules, taken from the families' `transformers`
 * configuration and modelling files:
 *
 *   llama                 all layers dense (modeling_llama.py)
 *   mixtral               all layers MoE: num_local_experts, num_experts_per_tok (modeling_mixtral.py)
 *   qwen2_moe, qwen3_moe  layer i is MoE when i ∉ mlp_only_layers and (i + 1) % decoder_sparse_step = 0;
 *                         Qwen2-MoE adds one gated shared expert (shared_expert_intermediate_size) and
 *                         q/k/v biases (qkv_bias); Qwen3-MoE adds per-head q/k norms
 *   deepseek, deepseek_v2, deepseek_v3
 *                         layer i is MoE when i ≥ first_k_dense_replace and i % moe_layer_freq = 0;
 *                         n_shared_experts shared experts of moe_intermediate_size; V2/V3 use
 *                         multi-head latent attention (q_lora_rank, kv_lora_rank, qk_nope_head_dim,
 *                         qk_rope_head_dim, v_head_dim); topk_method "noaux_tc" (V3) adds
 *                         e_score_correction_bias; V3 adds num_nextn_predict_layers MTP modules
 *   dbrx                  nested ffn_config / attn_config; bias-free LayerNorm (modeling_dbrx.py)
 *   olmoe                 all layers MoE; q/k norms over the whole projection (modeling_olmoe.py)
 *   switch_transformers   T5 encoder-decoder; layer i of a stack is MoE when i % step = 1 (or step = 1),
 *                         step = encoder_sparse_step / decoder_sparse_step; top-1 routing, ReLU experts
 *                         (modeling_switch_transformers.py)
 *
 * A missing key that the model needs, or an unknown model_type, is a MoEOracleError naming the key.
 */
import { describe, MoEOracleError } from '../tensor/errors.js';
import type {
  AttentionSpec,
  FeedForwardSpec,
  LayerGroup,
  ModelDescription,
  MoESpec,
  NormSpec,
  StandardAttentionSpec,
} from './config.js';

/** A config.json object as parsed from JSON. */
export type HfConfig = Record<string, unknown>;

/** Typed access to the keys of one config object, with errors that name the key. */
class ConfigFields {
  constructor(
    private readonly fields: HfConfig,
    /** How the object is named in messages: `config`, `config.ffn_config`. */
    private readonly where: string,
    private readonly modelType: string,
  ) {}

  has(key: string): boolean {
    return this.fields[key] !== undefined && this.fields[key] !== null;
  }

  private fail(key: string, expected: string): never {
    const value = this.fields[key];
    const actual = value === undefined ? 'nothing (the key is missing)' : describe(value);
    throw new MoEOracleError(`${this.where}.${key}`, `${expected} (read for model_type ${JSON.stringify(this.modelType)})`, actual);
  }

  /** A required integer >= min. */
  int(key: string, min = 1): number {
    const value = this.fields[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) this.fail(key, `an integer >= ${min}`);
    return value;
  }

  /** An optional integer >= min, `fallback` when absent or null. */
  intOr(key: string, fallback: number, min = 0): number {
    return this.has(key) ? this.int(key, min) : fallback;
  }

  /** An optional integer >= 1, or null when absent, null or 0 (DeepSeek's `q_lora_rank: null`). */
  intOrNull(key: string): number | null {
    return this.has(key) && this.fields[key] !== 0 ? this.int(key, 1) : null;
  }

  /** An optional boolean, `fallback` when absent or null. */
  boolOr(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (typeof value !== 'boolean') this.fail(key, 'true or false');
    return value;
  }

  /** An optional string, `fallback` when absent or null. */
  stringOr(key: string, fallback: string): string {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (typeof value !== 'string') this.fail(key, 'a string');
    return value;
  }

  /** An optional list of integers, `fallback` when absent or null. */
  intListOr(key: string, fallback: number[]): number[] {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (!Array.isArray(value) || !value.every((item) => Number.isInteger(item))) this.fail(key, 'a list of integers');
    return value as number[];
  }

  /** A required nested object (DBRX's ffn_config, attn_config). */
  nested(key: string): ConfigFields {
    const value = this.fields[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, 'an object');
    return new ConfigFields(value as HfConfig, `${this.where}.${key}`, this.modelType);
  }

  /** `numerator / denominator`, which must be a whole number (a default head dimension). */
  quotient(numeratorKey: string, numerator: number, denominator: number): number {
    if (numerator % denominator !== 0) this.fail(numeratorKey, `a multiple of ${denominator}`);
    return numerator / denominator;
  }
}

// ---------------------------------------------------------------------------------------------
// Building pieces shared by the families.

const RMS_NORM: NormSpec = { kind: 'rmsnorm', bias: false };

/** MHA or GQA attention, the kind following from the number of key/value heads. */
function standardAttention(parts: Omit<StandardAttentionSpec, 'kind'>): StandardAttentionSpec {
  return { kind: parts.numKeyValueHeads === parts.numHeads ? 'mha' : 'gqa', ...parts };
}

/** The Llama-style keys: num_attention_heads, num_key_value_heads, head_dim, attention_bias. */
function llamaStyleAttention(f: ConfigFields, hiddenSize: number, extra: Partial<StandardAttentionSpec> = {}): StandardAttentionSpec {
  const numHeads = f.int('num_attention_heads');
  const bias = f.boolOr('attention_bias', false);
  return standardAttention({
    numHeads,
    numKeyValueHeads: f.intOr('num_key_value_heads', numHeads, 1),
    headDim: f.has('head_dim') ? f.int('head_dim') : f.quotient('hidden_size', hiddenSize, numHeads),
    qkvBias: bias,
    outputBias: bias,
    queryNormSize: 0,
    keyNormSize: 0,
    ...extra,
  });
}

/** DeepSeek-V2/V3 multi-head latent attention. */
function latentAttention(f: ConfigFields): AttentionSpec {
  return {
    kind: 'mla',
    numHeads: f.int('num_attention_heads'),
    qLoraRank: f.intOrNull('q_lora_rank'),
    kvLoraRank: f.int('kv_lora_rank'),
    qkNopeHeadDim: f.int('qk_nope_head_dim'),
    qkRopeHeadDim: f.int('qk_rope_head_dim'),
    vHeadDim: f.int('v_head_dim'),
    bias: f.boolOr('attention_bias', false),
  };
}

function swiglu(intermediateSize: number, bias = false): FeedForwardSpec {
  return { intermediateSize, gated: true, bias };
}

/** Groups per-layer kinds into layer groups, in order of first appearance. */
function groupLayers(
  numLayers: number,
  isMoeLayer: (index: number) => boolean,
  makeLayer: (moe: boolean) => Omit<LayerGroup, 'count'>,
): LayerGroup[] {
  const groups = new Map<boolean, LayerGroup>();
  for (let index = 0; index < numLayers; index++) {
    const moe = isMoeLayer(index);
    const group = groups.get(moe);
    if (group) group.count += 1;
    else groups.set(moe, { ...makeLayer(moe), count: 1 });
  }
  return [...groups.values()];
}

/** What a decoder-only family reader supplies. Dense and MoE blocks are read only when some layer needs them. */
interface DecoderOnlyParts {
  f: ConfigFields;
  modelType: string;
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  norm?: NormSpec;
  attention: AttentionSpec;
  isMoeLayer: (index: number) => boolean;
  denseFeedForward: () => FeedForwardSpec;
  moe: () => MoESpec;
  /** Multi-token-prediction modules (each one more layer, numbered after the last). */
  mtpModules?: number;
}

/** A decoder-only model: embeddings, the layers, one final norm, and optional MTP modules. */
function decoderOnlyModel(parts: DecoderOnlyParts): ModelDescription {
  const makeLayer = (moe: boolean): Omit<LayerGroup, 'count'> => ({
    kind: moe ? 'moe' : 'dense',
    stack: 'decoder',
    selfAttention: parts.attention,
    crossAttention: null,
    feedForward: moe ? { kind: 'moe', moe: parts.moe() } : { kind: 'dense', ffn: parts.denseFeedForward() },
    normsPerLayer: 2,
  });
  const mtpModules = parts.mtpModules ?? 0;
  return {
    modelType: parts.modelType,
    hiddenSize: parts.hiddenSize,
    vocabSize: parts.vocabSize,
    tieWordEmbeddings: parts.f.boolOr('tie_word_embeddings', false),
    norm: parts.norm ?? RMS_NORM,
    layerGroups: groupLayers(parts.numLayers, parts.isMoeLayer, makeLayer),
    finalNorms: 1,
    positionBiasParams: 0,
    mtp:
      mtpModules > 0
        ? { modules: mtpModules, layerGroups: groupLayers(mtpModules, (m) => parts.isMoeLayer(parts.numLayers + m), makeLayer) }
        : null,
  };
}

/** The keys every decoder-only family shares. */
function commonParts(f: ConfigFields, modelType: string) {
  return {
    f,
    modelType,
    hiddenSize: f.int('hidden_size'),
    numLayers: f.int('num_hidden_layers'),
    vocabSize: f.int('vocab_size'),
  };
}

/** The MoE block of a dense family: never read, since no layer of a dense model is an MoE layer. */
const NO_MOE = (): MoESpec => {
  throw new Error('unreachable: a dense model has no MoE layer');
};

// ---------------------------------------------------------------------------------------------
// The families.

function readLlama(f: ConfigFields, modelType: string): ModelDescription {
  const common = commonParts(f, modelType);
  return decoderOnlyModel({
    ...common,
    attention: llamaStyleAttention(f, common.hiddenSize),
    isMoeLayer: () => false,
    denseFeedForward: () => swiglu(f.int('intermediate_size'), f.boolOr('mlp_bias', false)),
    moe: NO_MOE,
  });
}

function readMixtral(f: ConfigFields, modelType: string): ModelDescription {
  const common = commonParts(f, modelType);
  return decoderOnlyModel({
    ...common,
    // MixtralAttention has no biases whatever the config says.
    attention: llamaStyleAttention(f, common.hiddenSize, { qkvBias: false, outputBias: false }),
    isMoeLayer: () => true,
    denseFeedForward: () => swiglu(f.int('intermediate_size')),
    moe: () => ({
      numExperts: f.int('num_local_experts'),
      topK: f.int('num_experts_per_tok'),
      expert: swiglu(f.int('intermediate_size')),
      routerBias: false,
      scoreCorrectionBias: false,
      sharedExperts: null,
    }),
  });
}

/** Qwen2-MoE (Qwen1.5-MoE) and Qwen3-MoE. */
function readQwenMoe(f: ConfigFields, modelType: string): ModelDescription {
  const common = commonParts(f, modelType);
  const isQwen3 = modelType === 'qwen3_moe';
  const numExperts = f.intOr('num_experts', 0);
  const sparseStep = f.intOr('decoder_sparse_step', 1, 1);
  const mlpOnlyLayers = f.intListOr('mlp_only_layers', []);
  let attention: StandardAttentionSpec;
  if (isQwen3) {
    // Qwen3 normalises every query and key head (q_norm, k_norm of width head_dim).
    const base = llamaStyleAttention(f, common.hiddenSize);
    const qkNorm = f.boolOr('qk_norm', f.boolOr('use_qk_norm', true));
    attention = { ...base, queryNormSize: qkNorm ? base.headDim : 0, keyNormSize: qkNorm ? base.headDim : 0 };
  } else {
    // Qwen2 has biases on q, k and v, none on o.
    const qkvBias = f.boolOr('qkv_bias', true);
    attention = llamaStyleAttention(f, common.hiddenSize, { qkvBias, outputBias: false });
  }
  return decoderOnlyModel({
    ...common,
    attention,
    isMoeLayer: (index) => !mlpOnlyLayers.includes(index) && numExperts > 0 && (index + 1) % sparseStep === 0,
    denseFeedForward: () => swiglu(f.int('intermediate_size')),
    moe: () => {
      const sharedSize = isQwen3 ? 0 : f.intOr('shared_expert_intermediate_size', 0);
      return {
        numExperts: f.int('num_experts'),
        topK: f.int('num_experts_per_tok'),
        expert: swiglu(f.int('moe_intermediate_size')),
        routerBias: false,
        scoreCorrectionBias: false,
        sharedExperts: sharedSize > 0 ? { count: 1, expert: swiglu(sharedSize), gate: true } : null,
      };
    },
  });
}

/** DeepSeekMoE (deepseek), DeepSeek-V2 (deepseek_v2) and DeepSeek-V3 (deepseek_v3). */
function readDeepSeek(f: ConfigFields, modelType: string): ModelDescription {
  const common = commonParts(f, modelType);
  const isV3 = modelType === 'deepseek_v3';
  const numRoutedExperts = f.intOr('n_routed_experts', 0);
  const firstDense = f.intOr('first_k_dense_replace', 0);
  const moeLayerFreq = f.intOr('moe_layer_freq', 1, 1);
  const attention = modelType === 'deepseek' ? llamaStyleAttention(f, common.hiddenSize) : latentAttention(f);
  return decoderOnlyModel({
    ...common,
    attention,
    isMoeLayer: (index) => numRoutedExperts > 0 && index >= firstDense && index % moeLayerFreq === 0,
    denseFeedForward: () => swiglu(f.int('intermediate_size')),
    moe: () => {
      const expertSize = f.int('moe_intermediate_size');
      const sharedCount = f.intOr('n_shared_experts', 0);
      return {
        numExperts: f.int('n_routed_experts'),
        topK: f.int('num_experts_per_tok'),
        expert: swiglu(expertSize),
        routerBias: false,
        scoreCorrectionBias: f.stringOr('topk_method', isV3 ? 'noaux_tc' : 'greedy') === 'noaux_tc',
        sharedExperts: sharedCount > 0 ? { count: sharedCount, expert: swiglu(expertSize), gate: false } : null,
      };
    },
    mtpModules: isV3 ? f.intOr('num_nextn_predict_layers', 0) : 0,
  });
}

function readDbrx(f: ConfigFields, modelType: string): ModelDescription {
  const ffn = f.nested('ffn_config');
  const attn = f.nested('attn_config');
  const hiddenSize = f.int('d_model');
  const numHeads = f.int('n_heads');
  return decoderOnlyModel({
    f,
    modelType,
    hiddenSize,
    numLayers: f.int('n_layers'),
    vocabSize: f.int('vocab_size'),
    // DbrxBlock: nn.LayerNorm(d_model, bias=False) before attention and before the experts.
    norm: { kind: 'layernorm', bias: false },
    attention: standardAttention({
      numHeads,
      numKeyValueHeads: attn.intOr('kv_n_heads', 1, 1),
      headDim: f.quotient('d_model', hiddenSize, numHeads),
      qkvBias: false,
      outputBias: false,
      queryNormSize: 0,
      keyNormSize: 0,
    }),
    isMoeLayer: () => true,
    denseFeedForward: () => swiglu(ffn.int('ffn_hidden_size')),
    moe: () => ({
      numExperts: ffn.int('moe_num_experts'),
      topK: ffn.int('moe_top_k'),
      expert: swiglu(ffn.int('ffn_hidden_size')),
      routerBias: false,
      scoreCorrectionBias: false,
      sharedExperts: null,
    }),
  });
}

function readOlmoe(f: ConfigFields, modelType: string): ModelDescription {
  const common = commonParts(f, modelType);
  const base = llamaStyleAttention(f, common.hiddenSize);
  return decoderOnlyModel({
    ...common,
    // OlmoeAttention: q_norm over all query heads, k_norm over all key heads.
    attention: { ...base, queryNormSize: base.numHeads * base.headDim, keyNormSize: base.numKeyValueHeads * base.headDim },
    isMoeLayer: () => true,
    denseFeedForward: () => swiglu(f.int('intermediate_size')),
    moe: () => ({
      numExperts: f.int('num_experts'),
      topK: f.int('num_experts_per_tok'),
      expert: swiglu(f.int('intermediate_size')),
      routerBias: false,
      scoreCorrectionBias: false,
      sharedExperts: null,
    }),
  });
}

/** Switch Transformers: a T5 encoder-decoder whose every `step`-th feed-forward is a top-1 MoE. */
function readSwitch(f: ConfigFields, modelType: string): ModelDescription {
  const hiddenSize = f.int('d_model');
  const numHeads = f.int('num_heads');
  const encoderLayers = f.int('num_layers');
  const decoderLayers = f.intOr('num_decoder_layers', encoderLayers, 1);
  // The config stores the step; older files only give the number of sparse layers per stack.
  const sparseStep = (stepKey: string, countKey: string, layers: number): number => {
    if (f.has(stepKey)) return f.int(stepKey, 0);
    const sparseLayers = f.intOr(countKey, 3);
    return sparseLayers > 0 ? Math.floor(layers / sparseLayers) : 0;
  };
  const attention = standardAttention({
    numHeads,
    numKeyValueHeads: numHeads,
    headDim: f.int('d_kv'),
    qkvBias: false,
    outputBias: false,
    queryNormSize: 0,
    keyNormSize: 0,
  });
  // SwitchTransformersDenseActDense: wi [d_ff, d_model], wo [d_model, d_ff], no biases; experts are the same.
  const ffn: FeedForwardSpec = { intermediateSize: f.int('d_ff'), gated: false, bias: false };
  const moe = (): MoESpec => ({
    numExperts: f.int('num_experts'),
    topK: 1,
    expert: ffn,
    routerBias: f.boolOr('router_bias', false),
    scoreCorrectionBias: false,
    sharedExperts: null,
  });
  const stack = (name: 'encoder' | 'decoder', layers: number, step: number): LayerGroup[] =>
    groupLayers(
      layers,
      (index) => step > 0 && (index % step === 1 || step === 1),
      (isMoe) => ({
        kind: `${name} ${isMoe ? 'moe' : 'dense'}`,
        stack: name,
        selfAttention: attention,
        crossAttention: name === 'decoder' ? attention : null,
        feedForward: isMoe ? { kind: 'moe', moe: moe() } : { kind: 'dense', ffn },
        normsPerLayer: name === 'decoder' ? 3 : 2,
      }),
    );
  return {
    modelType,
    hiddenSize,
    vocabSize: f.int('vocab_size'),
    tieWordEmbeddings: f.boolOr('tie_word_embeddings', true),
    norm: RMS_NORM,
    layerGroups: [
      ...stack('encoder', encoderLayers, sparseStep('encoder_sparse_step', 'num_sparse_encoder_layers', encoderLayers)),
      ...stack('decoder', decoderLayers, sparseStep('decoder_sparse_step', 'num_sparse_decoder_layers', decoderLayers)),
    ],
    finalNorms: 2,
    // The first block of each stack holds a relative_attention_bias table [buckets, heads].
    positionBiasParams: 2 * f.intOr('relative_attention_num_buckets', 32, 1) * numHeads,
    mtp: null,
  };
}

/** The readers, by `model_type`. */
const READERS: Record<string, (f: ConfigFields, modelType: string) => ModelDescription> = {
  llama: readLlama,
  mixtral: readMixtral,
  qwen2_moe: readQwenMoe,
  qwen3_moe: readQwenMoe,
  deepseek: readDeepSeek,
  deepseek_v2: readDeepSeek,
  deepseek_v3: readDeepSeek,
  dbrx: readDbrx,
  olmoe: readOlmoe,
  switch_transformers: readSwitch,
};

/** The `model_type` values `readHfConfig` understands. */
export const PARAMS_MODEL_TYPES: readonly string[] = Object.keys(READERS);

/**
 * Translates a Hugging Face config.json object into a `ModelDescription`.
 *
 * @param config the parsed config.json
 * @param where how to name the config in error messages (a file path, a preset name)
 * @throws MoEOracleError for an unknown `model_type` or a missing or malformed key, naming it
 */
export function readHfConfig(config: unknown, where = 'config'): ModelDescription {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new MoEOracleError(where, 'a config.json object', describe(config));
  }
  const fields = config as HfConfig;
  const modelType = fields.model_type;
  if (typeof modelType !== 'string' || !Object.hasOwn(READERS, modelType)) {
    throw new MoEOracleError(
      `${where}.model_type`,
      `one of ${PARAMS_MODEL_TYPES.map((type) => JSON.stringify(type)).join(', ')}`,
      modelType === undefined ? 'nothing (the key is missing)' : describe(modelType),
    );
  }
  return READERS[modelType](new ConfigFields(fields, where, modelType), modelType);
}
