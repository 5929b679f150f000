// fast-check arbitraries of small Hugging Face config.json objects, one per supported family, each
// with what the specs need to predict its counts independently of src/params: which key holds the
// number of experts and the top-k, how many MoE layers the config places (the family's placement
// rule, written out again here), and how many weights one routed expert and one router row hold.
import fc from 'fast-check';

export type Family =
  | 'llama'
  | 'mixtral'
  | 'qwen2_moe'
  | 'qwen3_moe'
  | 'deepseek'
  | 'deepseek_v2'
  | 'deepseek_v3'
  | 'dbrx'
  | 'olmoe'
  | 'switch_transformers';

export interface GeneratedConfig {
  family: Family;
  config: Record<string, unknown>;
  hidden: number;
  /** Path of the key holding the number of routed experts (null: dense model). */
  expertsKey: string[] | null;
  /** Path of the key holding the experts per token (null: fixed at 1, Switch). */
  topKKey: string[] | null;
  /** MoE layers of the main model (not counting MTP modules). */
  moeLayers: number;
  /** MTP modules whose layer is an MoE layer (counted with --mtp include). */
  mtpMoeLayers: number;
  /** Weights of one routed expert. */
  expertParams: number;
  /** Entries one expert adds to a router: a weight row, plus a router bias and a score-correction bias where present. */
  routerEntriesPerExpert: number;
}

/** A copy of `config` with the key at `path` set to `value`. */
export function withKey(config: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(config);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

/** The value at `path`. */
export function readKey(config: Record<string, unknown>, path: string[]): number {
  let node: unknown = config;
  for (const key of path) node = (node as Record<string, unknown>)[key];
  return node as number;
}

const small = (min: number, max: number) => fc.integer({ min, max });

/** Heads, key/value heads dividing them, and a head dimension. */
const attentionShape = fc
  .record({ groups: small(1, 3), kvHeads: small(1, 3), headDim: small(1, 6) })
  .map(({ groups, kvHeads, headDim }) => ({ heads: groups * kvHeads, kvHeads, headDim, hidden: groups * kvHeads * headDim }));

const common = fc.record({ layers: small(1, 6), vocab: small(1, 50), tie: fc.boolean() });

/** Experts and a top-k not above them. */
const experts = small(1, 9).chain((n) => fc.record({ n: fc.constant(n), k: small(1, n) }));

const llama = fc.record({ a: attentionShape, c: common, I: small(1, 20), bias: fc.boolean() }).map(
  ({ a, c, I, bias }): GeneratedConfig => ({
    family: 'llama',
    config: {
      model_type: 'llama',
      hidden_size: a.hidden,
      num_attention_heads: a.heads,
      num_key_value_heads: a.kvHeads,
      num_hidden_layers: c.layers,
      intermediate_size: I,
      vocab_size: c.vocab,
      tie_word_embeddings: c.tie,
      attention_bias: bias,
    },
    hidden: a.hidden,
    expertsKey: null,
    topKKey: null,
    moeLayers: 0,
    mtpMoeLayers: 0,
    expertParams: 0,
    routerEntriesPerExpert: 0,
  }),
);

const mixtral = fc.record({ a: attentionShape, c: common, I: small(1, 20), e: experts }).map(
  ({ a, c, I, e }): GeneratedConfig => ({
    family: 'mixtral',
    config: {
      model_type: 'mixtral',
      hidden_size: a.hidden,
      num_attention_heads: a.heads,
      num_key_value_heads: a.kvHeads,
      num_hidden_layers: c.layers,
      intermediate_size: I,
      num_local_experts: e.n,
      num_experts_per_tok: e.k,
      vocab_size: c.vocab,
      tie_word_embeddings: c.tie,
    },
    hidden: a.hidden,
    expertsKey: ['num_local_experts'],
    topKKey: ['num_experts_per_tok'],
    moeLayers: c.layers,
    mtpMoeLayers: 0,
    expertParams: 3 * a.hidden * I,
    routerEntriesPerExpert: a.hidden,
  }),
);

const qwen = (family: 'qwen2_moe' | 'qwen3_moe') =>
  fc
    .record({
      a: attentionShape,
      c: common,
      I: small(1, 20),
      denseI: small(1, 20),
      sharedI: small(0, 20),
      e: experts,
      step: small(1, 3),
      mlpOnly: fc.uniqueArray(small(0, 5), { maxLength: 3 }),
      qkNorm: fc.boolean(),
    })
    .map(({ a, c, I, denseI, sharedI, e, step, mlpOnly, qkNorm }): GeneratedConfig => {
      let moeLayers = 0;
      for (let i = 0; i < c.layers; i++) if (!mlpOnly.includes(i) && (i + 1) % step === 0) moeLayers++;
      return {
        family,
        config: {
          model_type: family,
          hidden_size: a.hidden,
          num_attention_heads: a.heads,
          num_key_value_heads: a.kvHeads,
          head_dim: a.headDim,
          num_hidden_layers: c.layers,
          intermediate_size: denseI,
          moe_intermediate_size: I,
          ...(family === 'qwen2_moe' ? { shared_expert_intermediate_size: sharedI } : { qk_norm: qkNorm }),
          num_experts: e.n,
          num_experts_per_tok: e.k,
          decoder_sparse_step: step,
          mlp_only_layers: mlpOnly,
          vocab_size: c.vocab,
          tie_word_embeddings: c.tie,
        },
        hidden: a.hidden,
        expertsKey: ['num_experts'],
        topKKey: ['num_experts_per_tok'],
        moeLayers,
        mtpMoeLayers: 0,
        expertParams: 3 * a.hidden * I,
        routerEntriesPerExpert: a.hidden,
      };
    });

const deepseek = (family: 'deepseek' | 'deepseek_v2' | 'deepseek_v3') =>
  fc
    .record({
      a: attentionShape,
      c: common,
      I: small(1, 20),
      denseI: small(1, 20),
      e: experts,
      shared: small(0, 2),
      firstDense: small(0, 3),
      freq: small(1, 2),
      qLora: fc.option(small(1, 8), { nil: null }),
      kvLora: small(1, 8),
      nope: small(1, 4),
      rope: small(1, 4),
      v: small(1, 4),
      groupLimited: fc.boolean(),
      mtp: small(0, 2),
    })
    .map((g): GeneratedConfig => {
      // DeepseekV2/V3DecoderLayer: layer i has experts when i >= first_k_dense_replace and i % moe_layer_freq == 0;
      // MTP module m is layer num_hidden_layers + m under the same rule.
      const isMoe = (i: number) => i >= g.firstDense && i % g.freq === 0;
      let moeLayers = 0;
      for (let i = 0; i < g.c.layers; i++) if (isMoe(i)) moeLayers++;
      const mla = family !== 'deepseek';
      // DeepSeek-V3 always has e_score_correction_bias (topk_method noaux_tc); V2 routes greedy or group-limited, without it.
      const scoreBias = family === 'deepseek_v3';
      const mtpModules = family === 'deepseek_v3' ? g.mtp : 0;
      let mtpMoeLayers = 0;
      for (let m = 0; m < mtpModules; m++) if (isMoe(g.c.layers + m)) mtpMoeLayers++;
      return {
        family,
        config: {
          model_type: family,
          hidden_size: g.a.hidden,
          num_attention_heads: g.a.heads,
          num_key_value_heads: g.a.kvHeads,
          num_hidden_layers: g.c.layers,
          intermediate_size: g.denseI,
          moe_intermediate_size: g.I,
          n_routed_experts: g.e.n,
          n_shared_experts: g.shared,
          num_experts_per_tok: g.e.k,
          first_k_dense_replace: g.firstDense,
          moe_layer_freq: g.freq,
          ...(mla
            ? {
                q_lora_rank: g.qLora,
                kv_lora_rank: g.kvLora,
                qk_nope_head_dim: g.nope,
                qk_rope_head_dim: g.rope,
                v_head_dim: g.v,
                topk_method: family === 'deepseek_v3' ? 'noaux_tc' : g.groupLimited ? 'group_limited_greedy' : 'greedy',
              }
            : {}),
          ...(family === 'deepseek_v3' ? { num_nextn_predict_layers: mtpModules } : {}),
          vocab_size: g.c.vocab,
          tie_word_embeddings: g.c.tie,
        },
        hidden: g.a.hidden,
        expertsKey: ['n_routed_experts'],
        topKKey: ['num_experts_per_tok'],
        moeLayers,
        mtpMoeLayers,
        expertParams: 3 * g.a.hidden * g.I,
        routerEntriesPerExpert: g.a.hidden + (scoreBias ? 1 : 0),
      };
    });

const dbrx = fc.record({ a: attentionShape, c: common, I: small(1, 20), e: experts }).map(
  ({ a, c, I, e }): GeneratedConfig => ({
    family: 'dbrx',
    config: {
      model_type: 'dbrx',
      d_model: a.hidden,
      n_heads: a.heads,
      n_layers: c.layers,
      attn_config: { kv_n_heads: a.kvHeads },
      ffn_config: { ffn_hidden_size: I, moe_num_experts: e.n, moe_top_k: e.k },
      vocab_size: c.vocab,
      tie_word_embeddings: c.tie,
    },
    hidden: a.hidden,
    expertsKey: ['ffn_config', 'moe_num_experts'],
    topKKey: ['ffn_config', 'moe_top_k'],
    moeLayers: c.layers,
    mtpMoeLayers: 0,
    expertParams: 3 * a.hidden * I,
    routerEntriesPerExpert: a.hidden,
  }),
);

const olmoe = fc.record({ a: attentionShape, c: common, I: small(1, 20), e: experts }).map(
  ({ a, c, I, e }): GeneratedConfig => ({
    family: 'olmoe',
    config: {
      model_type: 'olmoe',
      hidden_size: a.hidden,
      num_attention_heads: a.heads,
      num_key_value_heads: a.kvHeads,
      num_hidden_layers: c.layers,
      intermediate_size: I,
      num_experts: e.n,
      num_experts_per_tok: e.k,
      vocab_size: c.vocab,
      tie_word_embeddings: c.tie,
    },
    hidden: a.hidden,
    expertsKey: ['num_experts'],
    topKKey: ['num_experts_per_tok'],
    moeLayers: c.layers,
    mtpMoeLayers: 0,
    expertParams: 3 * a.hidden * I,
    routerEntriesPerExpert: a.hidden,
  }),
);

/** Whether layer i of a Switch stack with sparse step `step` is an MoE layer (HF SwitchTransformersStack). */
export function switchLayerIsSparse(index: number, step: number): boolean {
  return step > 0 && (index % step === 1 || step === 1);
}

const switchTransformers = fc
  .record({
    hidden: small(1, 12),
    dff: small(1, 20),
    dkv: small(1, 6),
    heads: small(1, 4),
    encoderLayers: small(1, 6),
    decoderLayers: small(1, 6),
    encoderStep: small(0, 3),
    decoderStep: small(0, 3),
    n: small(1, 9),
    routerBias: fc.boolean(),
    buckets: small(1, 8),
    vocab: small(1, 50),
    tie: fc.boolean(),
  })
  .map((g): GeneratedConfig => {
    let moeLayers = 0;
    for (let i = 0; i < g.encoderLayers; i++) if (switchLayerIsSparse(i, g.encoderStep)) moeLayers++;
    for (let i = 0; i < g.decoderLayers; i++) if (switchLayerIsSparse(i, g.decoderStep)) moeLayers++;
    return {
      family: 'switch_transformers',
      config: {
        model_type: 'switch_transformers',
        d_model: g.hidden,
        d_ff: g.dff,
        d_kv: g.dkv,
        num_heads: g.heads,
        num_layers: g.encoderLayers,
        num_decoder_layers: g.decoderLayers,
        encoder_sparse_step: g.encoderStep,
        decoder_sparse_step: g.decoderStep,
        num_experts: g.n,
        router_bias: g.routerBias,
        relative_attention_num_buckets: g.buckets,
        vocab_size: g.vocab,
        tie_word_embeddings: g.tie,
      },
      hidden: g.hidden,
      expertsKey: ['num_experts'],
      topKKey: null,
      moeLayers,
      mtpMoeLayers: 0,
      expertParams: 2 * g.hidden * g.dff,
      routerEntriesPerExpert: g.hidden + (g.routerBias ? 1 : 0),
    };
  });

/** A small config of any supported family. */
export const anyConfig: fc.Arbitrary<GeneratedConfig> = fc.oneof(
  llama,
  mixtral,
  qwen('qwen2_moe'),
  qwen('qwen3_moe'),
  deepseek('deepseek'),
  deepseek('deepseek_v2'),
  deepseek('deepseek_v3'),
  dbrx,
  olmoe,
  switchTransformers,
);

/** A small config of a family with routed experts. */
export const anyMoeConfig: fc.Arbitrary<GeneratedConfig> = anyConfig.filter((generated) => generated.expertsKey !== null);

/** Every combination of the counting options. */
export const anyCountOptions = fc.record({
  tiedEmbeddings: fc.option(fc.boolean(), { nil: undefined }),
  activeEmbeddings: fc.constantFrom('both' as const, 'lm-head' as const, 'none' as const),
  mtp: fc.constantFrom('exclude' as const, 'include' as const, 'checkpoint' as const),
});

/** The llama arbitrary alone (for the closed-form spec). */
export { llama as llamaConfig };
