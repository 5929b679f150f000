/**
 * The normalised description of a transformer (dense or Mixture-of-Experts) that the parameter,
 * FLOP and memory calculators work on. Every model family's config.json is translated into this one
 * shape by `model.ts`, so the counting code never looks at family-specific key names.
 *
 * A model is a list of layer groups (consecutive or not: "the 3 dense layers", "the 58 MoE
 * layers"), each group holding identical layers, plus the embeddings, final norms and optional
 * multi-token-prediction (MTP) modules. The structure follows the Hugging Face `transformers`
 * modelling files of each family (modeling_mixtral.py, modeling_deepseek_v3.py, ...).
 * `checkModelDescription` (end of file) is the boundary check of the calculators that take one.
 */
import { checkBoolean, checkInteger, checkObject, checkOneOf, MoEOracleError, describe } from '../tensor/errors.js';

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

function checkBooleanField(argument: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new MoEOracleError(argument, 'true or false', describe(value));
}

function checkFeedForwardSpec(where: string, ffn: FeedForwardSpec): void {
  checkObject(where, ffn, 'a feed-forward spec { intermediateSize, gated, bias }');
  checkInteger(`${where}.intermediateSize`, ffn.intermediateSize, 1);
  checkBooleanField(`${where}.gated`, ffn.gated);
  checkBooleanField(`${where}.bias`, ffn.bias);
}

function checkAttentionSpec(where: string, attention: AttentionSpec): void {
  checkObject(where, attention, "an attention spec (kind 'mha', 'gqa' or 'mla')");
  checkOneOf(`${where}.kind`, attention.kind, ['mha', 'gqa', 'mla'] as const);
  checkInteger(`${where}.numHeads`, attention.numHeads, 1);
  if (attention.kind === 'mla') {
    if (attention.qLoraRank !== null) checkInteger(`${where}.qLoraRank`, attention.qLoraRank, 1);
    for (const key of ['kvLoraRank', 'qkNopeHeadDim', 'qkRopeHeadDim', 'vHeadDim'] as const) checkInteger(`${where}.${key}`, attention[key], 0);
    checkBooleanField(`${where}.bias`, attention.bias);
    return;
  }
  checkInteger(`${where}.numKeyValueHeads`, attention.numKeyValueHeads, 1);
  for (const key of ['headDim', 'queryNormSize', 'keyNormSize'] as const) checkInteger(`${where}.${key}`, attention[key], 0);
  checkBooleanField(`${where}.qkvBias`, attention.qkvBias);
  checkBooleanField(`${where}.outputBias`, attention.outputBias);
  checkBoolean(`${where}.sinks`, attention.sinks, false);
}

function checkLayerGroups(where: string, groups: LayerGroup[]): void {
  if (!Array.isArray(groups)) throw new MoEOracleError(where, 'an array of layer groups', describe(groups));
  groups.forEach((group, i) => {
    const at = `${where}[${i}]`;
    checkObject(at, group, 'a layer group { kind, stack, count, selfAttention, crossAttention, feedForward, normsPerLayer }');
    if (typeof group.kind !== 'string') throw new MoEOracleError(`${at}.kind`, 'a label such as "moe"', describe(group.kind));
    checkOneOf(`${at}.stack`, group.stack, ['encoder', 'decoder'] as const);
    checkInteger(`${at}.count`, group.count, 0);
    checkInteger(`${at}.normsPerLayer`, group.normsPerLayer, 0);
    checkAttentionSpec(`${at}.selfAttention`, group.selfAttention);
    if (group.crossAttention !== null) checkAttentionSpec(`${at}.crossAttention`, group.crossAttention);
    const feedForward = group.feedForward;
    checkObject(`${at}.feedForward`, feedForward, "{ kind: 'dense', ffn } or { kind: 'moe', moe }");
    if (checkOneOf(`${at}.feedForward.kind`, feedForward.kind, ['dense', 'moe'] as const) === 'dense') {
      checkFeedForwardSpec(`${at}.feedForward.ffn`, (feedForward as { ffn: FeedForwardSpec }).ffn);
      return;
    }
    const moe = (feedForward as { moe: MoESpec }).moe;
    checkObject(`${at}.feedForward.moe`, moe, 'a Mixture-of-Experts spec');
    const experts = checkInteger(`${at}.feedForward.moe.numExperts`, moe.numExperts, 1);
    checkInteger(`${at}.feedForward.moe.topK`, moe.topK, 1, experts);
    checkFeedForwardSpec(`${at}.feedForward.moe.expert`, moe.expert);
    checkBooleanField(`${at}.feedForward.moe.routerBias`, moe.routerBias);
    checkBooleanField(`${at}.feedForward.moe.scoreCorrectionBias`, moe.scoreCorrectionBias);
    if (moe.sharedExperts !== null) {
      const shared = moe.sharedExperts;
      checkObject(`${at}.feedForward.moe.sharedExperts`, shared, 'null or { count, expert, gate }');
      checkInteger(`${at}.feedForward.moe.sharedExperts.count`, shared.count, 0);
      checkFeedForwardSpec(`${at}.feedForward.moe.sharedExperts.expert`, shared.expert);
      checkBooleanField(`${at}.feedForward.moe.sharedExperts.gate`, shared.gate);
    }
  });
}

/**
 * Throws unless `model` is a whole ModelDescription (as `readHfModel` returns): every field the
 * calculators read, with its type and range. O(number of layer groups).
 */
export function checkModelDescription(argument: string, model: ModelDescription): void {
  checkObject(argument, model, 'a model description (readHfModel)');
  if (typeof model.modelType !== 'string') throw new MoEOracleError(`${argument}.modelType`, 'a model_type string', describe(model.modelType));
  checkInteger(`${argument}.hiddenSize`, model.hiddenSize, 1);
  checkInteger(`${argument}.vocabSize`, model.vocabSize, 0);
  checkBooleanField(`${argument}.tieWordEmbeddings`, model.tieWordEmbeddings);
  checkObject(`${argument}.norm`, model.norm, "a norm spec { kind: 'rmsnorm' | 'layernorm', bias }");
  checkOneOf(`${argument}.norm.kind`, model.norm.kind, ['rmsnorm', 'layernorm'] as const);
  checkBooleanField(`${argument}.norm.bias`, model.norm.bias);
  checkLayerGroups(`${argument}.layerGroups`, model.layerGroups);
  checkInteger(`${argument}.finalNorms`, model.finalNorms, 0);
  checkInteger(`${argument}.positionBiasParams`, model.positionBiasParams, 0);
  if (model.mtp !== null) {
    checkObject(`${argument}.mtp`, model.mtp, 'null or { modules, layerGroups }');
    checkInteger(`${argument}.mtp.modules`, model.mtp.modules, 0);
    checkLayerGroups(`${argument}.mtp.layerGroups`, model.mtp.layerGroups);
  }
}
