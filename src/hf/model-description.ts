/**
 * The normalised description of a transformer (dense or Mixture-of-Experts) that the parameter,
 * FLOP and memory calculators work on. Every model family's config.json is translated into this one
 * shape by `model.ts`, so the counting code never looks at family-specific key names.
 *
 * A model is a list of layer groups (consecutive or not: "the 3 dense layers", "the 58 MoE
 * layers"), each group holding identical layers, plus the embeddings, final norms and optional
 * multi-token-prediction (MTP) modules. The structure follows the Hugging Face `transformers`
 * modelling files of each family (modeling_mixtral.py, modeling_deepseek_v3.py, ...).
 */

/** A normalisation layer over a vector of width `size`: RMSNorm has a weight; LayerNorm may add a bias. */
export interface NormSpec {
  kind: 'rmsnorm' | 'layernorm';
  /** Whether the norm has a bias vector as well as a weight vector. */
  bias: boolean;
}

/**
 * Standard multi-head attention: multi-head (MHA, as many key/value heads as query heads) or
 * grouped-query (GQA, fewer key/value heads shared by groups of query heads; MQA is GQA with one).
 *
 *   q: [numHeads·headDim, H]   k, v: [numKeyValueHeads·headDim, H]   o: [H, numHeads·headDim]
 */
export interface StandardAttentionSpec {
  kind: 'mha' | 'gqa';
  numHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  /** Biases on the q, k and v projections. */
  qkvBias: boolean;
  /** Bias on the output projection. */
  outputBias: boolean;
  /** Width of the norm applied to queries (0: none). Qwen3: headDim; OLMoE: numHeads·headDim. */
  queryNormSize: number;
  /** Width of the norm applied to keys (0: none). */
  keyNormSize: number;
  /** gpt-oss's attention sinks: one learned logit per query head (`self_attn.sinks` [numHeads]); default none. */
  sinks?: boolean;
}

/**
 * Multi-head latent attention (DeepSeek-V2 paper, arXiv:2405.04434, section 2.1): keys and values
 * are compressed into a latent of width kvLoraRank (plus a shared RoPE key of width qkRopeHeadDim),
 * which is all that the KV cache stores.
 *
 *   q_a: [qLoraRank, H], q_a_norm: [qLoraRank], q_b: [numHeads·(nope+rope), qLoraRank]
 *     (or, without a query latent, q: [numHeads·(nope+rope), H])
 *   kv_a: [kvLoraRank + rope, H], kv_a_norm: [kvLoraRank], kv_b: [numHeads·(nope+v), kvLoraRank]
 *   o: [H, numHeads·v]
 */
export interface LatentAttentionSpec {
  kind: 'mla';
  numHeads: number;
  /** Width of the query latent; null when queries are projected directly (DeepSeek-V2-Lite). */
  qLoraRank: number | null;
  kvLoraRank: number;
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  vHeadDim: number;
  /** `attention_bias`: biases on q_a (or nothing without a query latent), kv_a and o. */
  bias: boolean;
}

export type AttentionSpec = StandardAttentionSpec | LatentAttentionSpec;

/**
 * A feed-forward block. Gated (SwiGLU, GeGLU): gate [I, H], up [I, H], down [H, I].
 * Classic (ReLU/GELU, T5 and Switch): in [I, H], out [H, I].
 */
export interface FeedForwardSpec {
  intermediateSize: number;
  gated: boolean;
  /** Biases on every projection. */
  bias: boolean;
}

/** Shared experts: `count` always-active experts (DeepSeekMoE) or one gated shared expert (Qwen2-MoE). */
export interface SharedExpertsSpec {
  count: number;
  expert: FeedForwardSpec;
  /** Qwen2-MoE's `shared_expert_gate`: a [1, H] projection whose sigmoid scales the shared output. */
  gate: boolean;
}

/** A Mixture-of-Experts feed-forward block: router [N, H] plus N routed experts, k of them per token. */
export interface MoESpec {
  numExperts: number;
  topK: number;
  expert: FeedForwardSpec;
  /** A bias [N] on the router logits (Switch `router_bias`). */
  routerBias: boolean;
  /** DeepSeek-V3's `e_score_correction_bias` [N], added to the scores for expert choice only. */
  scoreCorrectionBias: boolean;
  sharedExperts: SharedExpertsSpec | null;
}

export type FeedForwardLayerSpec = { kind: 'dense'; ffn: FeedForwardSpec } | { kind: 'moe'; moe: MoESpec };

/** `count` identical transformer layers. */
export interface LayerGroup {
  /** Label of this layer kind: 'dense', 'moe', 'encoder dense', 'decoder moe', ... */
  kind: string;
  /** Encoder layers have no KV cache; decoder layers do. */
  stack: 'encoder' | 'decoder';
  count: number;
  selfAttention: AttentionSpec;
  /** Encoder-decoder attention of decoder layers (T5, Switch); null otherwise. */
  crossAttention: AttentionSpec | null;
  feedForward: FeedForwardLayerSpec;
  /** Number of hidden-width norms per layer: 2 (pre-attention, pre-FFN), 3 with cross-attention. */
  normsPerLayer: number;
}

/**
 * DeepSeek-V3 multi-token prediction modules (arXiv:2412.19437, section 2.2): each is one more
 * transformer layer plus two norms (enorm, hnorm), a projection eh_proj [H, 2H] and the norm of its
 * shared output head. Its embedding and output head are shared with the main model, but the Hugging
 * Face checkpoint stores a copy of both in every module.
 */
export interface MtpSpec {
  modules: number;
  /** The modules' transformer layers (module m is layer numHiddenLayers + m of the placement rule). */
  layerGroups: LayerGroup[];
}

/** A whole model. */
export interface ModelDescription {
  /** The config's `model_type`. */
  modelType: string;
  hiddenSize: number;
  vocabSize: number;
  /** Whether the output head reuses the input embedding matrix. */
  tieWordEmbeddings: boolean;
  norm: NormSpec;
  layerGroups: LayerGroup[];
  /** Hidden-width norms after the last layer: 1 per stack. */
  finalNorms: number;
  /** Elements of T5-style relative position bias tables (buckets × heads per stack). */
  positionBiasParams: number;
  mtp: MtpSpec | null;
}
