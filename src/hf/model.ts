/**
 * A whole model from its Hugging Face `config.json`: the `ModelDescription` (model-description.ts) that
 * the parameter, FLOP and memory calculators (src/params) count. The attention comes from
 * attention.ts and the MoE block from moe-block.ts (the same reading as the MoE layer's); this file
 * adds the embeddings, norms and which layers are MoE layers, per family:
 *
 *   llama                 all layers dense (modeling_llama.py)
 *   mixtral, olmoe, dbrx  all layers MoE
 *   qwen2_moe, qwen3_moe  layer i is MoE when i ∉ mlp_only_layers and (i + 1) % decoder_sparse_step = 0
 *   deepseek, deepseek_v2, deepseek_v3
 *                         layer i is MoE when i ≥ first_k_dense_replace and i % moe_layer_freq = 0;
 *                         V3 adds num_nextn_predict_layers MTP modules (module m is layer L + m)
 *   dbrx                  bias-free LayerNorm (modeling_dbrx.py)
 *   switch_transformers   T5 encoder-decoder; layer i of a stack is MoE when i % step = 1 (or step = 1),
 *                         step = encoder_sparse_step / decoder_sparse_step (older files: layers /
 *                         num_sparse_*_layers) (modeling_switch_transformers.py)
 *
 * The MoE layers are counted in closed form (no loop over layers), so a config's layer count costs
 * nothing whatever its size. A missing key that the model needs, a value of the wrong type, an
 * impossible relation between keys or an unknown model_type is a MoEOracleError naming the key.
 */
import { configFields, type ConfigFields } from './fields.js';
import { readAttentionSpec } from './attention.js';
import { readMoeBlock, hiddenSizeOf, type HfModelType } from './moe-block.js';
import type { AttentionSpec, FeedForwardSpec, LayerGroup, ModelDescription, MoESpec, NormSpec } from './model-description.js';

/** The `model_type` values `readHfModel` understands (gpt_oss: its MoE block only, through the layer reader). */
export const PARAMS_MODEL_TYPES = [
  'llama', 'mixtral', 'qwen2_moe', 'qwen3_moe', 'deepseek', 'deepseek_v2', 'deepseek_v3', 'dbrx', 'olmoe', 'gpt_oss', 'llama4_text', 'llama4', 'switch_transformers',
] as const satisfies readonly HfModelType[];
type ParamsModelType = (typeof PARAMS_MODEL_TYPES)[number];

const RMS_NORM: NormSpec = { kind: 'rmsnorm', bias: false };

function swiglu(intermediateSize: number, bias = false): FeedForwardSpec {
  return { intermediateSize, gated: true, bias };
}

/** The calculators' view of the MoE block read by moe-block.ts. */
function moeSpec(f: ConfigFields, modelType: Exclude<ParamsModelType, 'llama'>): MoESpec {
  const block = readMoeBlock(f, modelType);
  const shared = block.sharedExperts;
  return {
    numExperts: block.numExperts,
    topK: block.topK,
    expert: { intermediateSize: block.expertIntermediateSize, gated: block.expertKind === 'swiglu' || block.expertKind === 'gpt-oss', bias: block.expertBias },
    routerBias: block.router.bias,
    scoreCorrectionBias: block.router.scoreCorrectionBias,
    sharedExperts: shared === null ? null : { count: shared.count, expert: swiglu(shared.intermediateSize / shared.count), gate: shared.gate },
  };
}

/**
 * The layer groups of `layers` layers of which `moeLayers` are MoE layers, in order of first
 * appearance (`firstIsMoe`: layer 0's kind). Blocks are read only for a kind some layer has.
 */
function layerGroups(layers: number, moeLayers: number, firstIsMoe: boolean, makeLayer: (moe: boolean) => Omit<LayerGroup, 'count'>): LayerGroup[] {
  const groups: LayerGroup[] = [];
  for (const moe of firstIsMoe ? [true, false] : [false, true]) {
    const count = moe ? moeLayers : layers - moeLayers;
    if (count > 0) groups.push({ ...makeLayer(moe), count });
  }
  return groups;
}

/** Multiples of `step` in [from, to): how many i in that range have i % step = 0. */
function multiplesIn(from: number, to: number, step: number): number {
  if (to <= from) return 0;
  return Math.floor((to - 1) / step) - Math.floor((from - 1) / step);
}

/** What a decoder-only family reader supplies. Dense and MoE blocks are read only when some layer needs them. */
interface DecoderOnlyParts {
  f: ConfigFields;
  modelType: ParamsModelType;
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  norm?: NormSpec;
  attention: AttentionSpec;
  /** MoE layers among layers [from, to). */
  moeLayersIn: (from: number, to: number) => number;
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
  const L = parts.numLayers;
  const mtpModules = parts.mtpModules ?? 0;
  return {
    modelType: parts.modelType,
    hiddenSize: parts.hiddenSize,
    vocabSize: parts.vocabSize,
    tieWordEmbeddings: parts.f.boolOr('tie_word_embeddings', false),
    norm: parts.norm ?? RMS_NORM,
    layerGroups: layerGroups(L, parts.moeLayersIn(0, L), parts.moeLayersIn(0, 1) === 1, makeLayer),
    finalNorms: 1,
    positionBiasParams: 0,
    mtp:
      mtpModules > 0
        ? { modules: mtpModules, layerGroups: layerGroups(mtpModules, parts.moeLayersIn(L, L + mtpModules), parts.moeLayersIn(L, L + 1) === 1, makeLayer) }
        : null,
  };
}

/** The keys every decoder-only family shares. */
function commonParts(f: ConfigFields, modelType: ParamsModelType) {
  return { f, modelType, hiddenSize: hiddenSizeOf(f, modelType), numLayers: f.int('num_hidden_layers'), vocabSize: f.int('vocab_size') };
}

const ALL_LAYERS = (from: number, to: number) => Math.max(0, to - from);

/** Decoder-only families; Switch (encoder-decoder) is `readSwitch`. */
function readDecoderOnly(f: ConfigFields, modelType: Exclude<ParamsModelType, 'switch_transformers'>): ModelDescription {
  const attention = readAttentionSpec(f, modelType);
  const moe = () => moeSpec(f, modelType as Exclude<ParamsModelType, 'llama' | 'switch_transformers'>);
  switch (modelType) {
    case 'llama': {
      const common = commonParts(f, modelType);
      return decoderOnlyModel({
        ...common, attention, moeLayersIn: () => 0,
        denseFeedForward: () => swiglu(f.int('intermediate_size'), f.boolOr('mlp_bias', false)),
        moe: () => { throw new Error('unreachable: a dense model has no MoE layer'); },
      });
    }
    case 'mixtral':
    case 'olmoe':
    case 'gpt_oss':
      // gpt-oss: every layer is MoE (GptOssDecoderLayer), experts with biases, router with a bias.
      return decoderOnlyModel({ ...commonParts(f, modelType), attention, moeLayersIn: ALL_LAYERS, denseFeedForward: () => swiglu(f.int('intermediate_size')), moe });
    case 'llama4':
      // Llama4Config: the text model's keys sit under text_config (the vision tower is not counted).
      return { ...readDecoderOnly(f.nested('text_config'), 'llama4_text'), modelType };
    case 'llama4_text': {
      // Llama4TextConfig: layer i is MoE when listed in moe_layers, by default when (i + 1) % interleave_moe_layer_step = 0;
      // dense layers have an MLP of intermediate_size_mlp; every MoE layer one shared expert of intermediate_size.
      const common = commonParts(f, modelType);
      const step = f.intOr('interleave_moe_layer_step', 1, 1);
      const listed = f.has('moe_layers') ? [...new Set(f.intListOr('moe_layers', []))] : null;
      const moeLayersIn = (from: number, to: number) => (listed === null ? multiplesIn(from + 1, to + 1, step) : listed.filter((i) => i >= from && i < to).length);
      return decoderOnlyModel({ ...common, attention, moeLayersIn, denseFeedForward: () => swiglu(f.int('intermediate_size_mlp')), moe });
    }
    case 'qwen2_moe':
    case 'qwen3_moe': {
      const common = commonParts(f, modelType);
      const hasExperts = f.intOr('num_experts', 0) > 0;
      const step = f.intOr('decoder_sparse_step', 1, 1);
      // Layers listed in mlp_only_layers are dense; each index counts once (indices past the last layer change nothing).
      const mlpOnly = [...new Set(f.intListOr('mlp_only_layers', []))];
      const moeLayersIn = (from: number, to: number) =>
        hasExperts ? multiplesIn(from + 1, to + 1, step) - mlpOnly.filter((i) => i >= from && i < to && (i + 1) % step === 0).length : 0;
      return decoderOnlyModel({ ...common, attention, moeLayersIn, denseFeedForward: () => swiglu(f.int('intermediate_size')), moe });
    }
    case 'deepseek':
    case 'deepseek_v2':
    case 'deepseek_v3': {
      const common = commonParts(f, modelType);
      const hasExperts = f.intOr('n_routed_experts', 0) > 0;
      const firstDense = f.intOr('first_k_dense_replace', 0);
      const frequency = f.intOr('moe_layer_freq', 1, 1);
      const moeLayersIn = (from: number, to: number) => (hasExperts ? multiplesIn(Math.max(from, firstDense), to, frequency) : 0);
      return decoderOnlyModel({
        ...common, attention, moeLayersIn, denseFeedForward: () => swiglu(f.int('intermediate_size')), moe,
        mtpModules: modelType === 'deepseek_v3' ? f.intOr('num_nextn_predict_layers', 0, 0, 1024) : 0,
      });
    }
    case 'dbrx':
      return decoderOnlyModel({
        f, modelType, hiddenSize: hiddenSizeOf(f, modelType), numLayers: f.int('n_layers'), vocabSize: f.int('vocab_size'),
        // DbrxBlock: nn.LayerNorm(d_model, bias=False) before attention and before the experts.
        norm: { kind: 'layernorm', bias: false },
        attention, moeLayersIn: ALL_LAYERS,
        denseFeedForward: () => swiglu(f.nested('ffn_config').int('ffn_hidden_size')),
        moe,
      });
  }
}

/** Switch Transformers: a T5 encoder-decoder whose every `step`-th feed-forward is a top-1 MoE. */
function readSwitch(f: ConfigFields): ModelDescription {
  const hiddenSize = hiddenSizeOf(f, 'switch_transformers');
  const encoderLayers = f.int('num_layers');
  const decoderLayers = f.intOr('num_decoder_layers', encoderLayers, 1);
  // The config stores the step; older files only give the number of sparse layers per stack.
  const sparseStep = (stepKey: string, countKey: string, layers: number): number => {
    if (f.has(stepKey)) return f.int(stepKey, 0);
    const sparseLayers = f.intOr(countKey, 3, 0, layers);
    return sparseLayers > 0 ? Math.floor(layers / sparseLayers) : 0;
  };
  const attention = readAttentionSpec(f, 'switch_transformers');
  // SwitchTransformersDenseActDense: wi [d_ff, d_model], wo [d_model, d_ff], no biases; experts are the same.
  const ffn: FeedForwardSpec = { intermediateSize: f.int('d_ff'), gated: false, bias: false };
  // Layer i is sparse when i % step = 1, or every layer when step = 1 (SwitchTransformersStack).
  const sparseLayers = (layers: number, step: number) => (step === 0 ? 0 : step === 1 ? layers : layers >= 2 ? Math.floor((layers - 2) / step) + 1 : 0);
  const stack = (name: 'encoder' | 'decoder', layers: number, step: number): LayerGroup[] =>
    layerGroups(layers, sparseLayers(layers, step), step === 1, (isMoe) => ({
      kind: `${name} ${isMoe ? 'moe' : 'dense'}`,
      stack: name,
      selfAttention: attention,
      crossAttention: name === 'decoder' ? attention : null,
      feedForward: isMoe ? { kind: 'moe', moe: moeSpec(f, 'switch_transformers') } : { kind: 'dense', ffn },
      normsPerLayer: name === 'decoder' ? 3 : 2,
    }));
  return {
    modelType: 'switch_transformers',
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
    positionBiasParams: 2 * f.intOr('relative_attention_num_buckets', 32, 1) * (attention as { numHeads: number }).numHeads,
    mtp: null,
  };
}

/**
 * Translates a Hugging Face config.json object into a `ModelDescription`.
 *
 * @param config the parsed config.json
 * @param where how to name the config in error messages (a file path, a preset name)
 * @throws MoEOracleError for an unknown `model_type` or a missing, malformed or inconsistent key, naming it
 */
export function readHfModel(config: unknown, where = 'config'): ModelDescription {
  const { fields, modelType } = configFields(config, where, PARAMS_MODEL_TYPES);
  return modelType === 'switch_transformers' ? readSwitch(fields) : readDecoderOnly(fields, modelType);
}
