/**
 * Parameter counts of a model: total (every stored weight) and active (the weights one token uses),
 * with a breakdown per component and per layer kind.
 *
 * The model is first listed as parameter blocks, one per weight tensor of one layer, each with its
 * shape, how many copies a layer holds (N for the routed experts) and how many of those a token uses
 * (k for the routed experts, all of them for everything else). Then
 *
 *   total  = Σ_layers Σ_blocks copies       · elements(shape)
 *   active = Σ_layers Σ_blocks activeCopies · elements(shape)
 *
 * so for one MoE layer with N SwiGLU experts of intermediate size I on hidden size H:
 *
 *   routed experts: total N·3·H·I, active k·3·H·I;  router: N·H (+ N for a router bias,
 *   + N for DeepSeek-V3's e_score_correction_bias), always active.
 *
 * Three conventions change the answer and are explicit options:
 *   - tiedEmbeddings: whether the output head reuses the input embedding matrix (default: the config);
 *   - activeEmbeddings: which [vocab, H] matrices count as active: 'both' (input embedding and LM
 *     head; Mixtral, Qwen, DeepSeekMoE, OLMoE count this way), 'lm-head' (only the output head;
 *     DeepSeek-V2/V3 count this way, since the input embedding is a row lookup, not a matmul) or 'none';
 *   - mtp: DeepSeek-V3's multi-token-prediction modules: 'exclude' (the 671B main model), 'include'
 *     (their unique weights) or 'checkpoint' (also the copies of embedding and head that the Hugging
 *     Face checkpoint stores in each module: 685B).
 *
 * Shapes follow the Hugging Face `transformers` modelling files of each family.
 */
import { checkOneOf, checkOptions, MoEOracleError } from '../tensor/errors.js';
import { checkModelDescription } from '../hf/model-description.js';
import type {
  AttentionSpec,
  FeedForwardSpec,
  LayerGroup,
  ModelDescription,
  MoESpec,
  NormSpec,
} from '../hf/model-description.js';

/** "MHA", "GQA", "MQA" or "MLA": how an attention block is described in tables. */
export function attentionLabel(attention: AttentionSpec): string {
  if (attention.kind === 'mla') return 'MLA';
  if (attention.numKeyValueHeads === attention.numHeads) return 'MHA';
  return attention.numKeyValueHeads === 1 ? 'MQA' : 'GQA';
}

/** The parts a model's parameters are grouped into. */
export type ParameterComponent =
  | 'embeddings'
  | 'attention'
  | 'denseFeedForward'
  | 'routedExperts'
  | 'sharedExperts'
  | 'router'
  | 'norms'
  | 'positionBias'
  | 'lmHead'
  | 'mtp';

/** Every component, in the order tables list them. */
export const PARAMETER_COMPONENTS: readonly ParameterComponent[] = [
  'embeddings',
  'attention',
  'denseFeedForward',
  'routedExperts',
  'sharedExperts',
  'router',
  'norms',
  'positionBias',
  'lmHead',
  'mtp',
];

/** Which [vocab, H] matrices count as active parameters. */
export type ActiveEmbeddings = 'both' | 'lm-head' | 'none';
/** The values of `activeEmbeddings`. */
export const ACTIVE_EMBEDDINGS_CHOICES: readonly ActiveEmbeddings[] = ['both', 'lm-head', 'none'];

/** Whether DeepSeek-V3's multi-token-prediction modules are counted. */
export type MtpCounting = 'exclude' | 'include' | 'checkpoint';
/** The values of `mtp`. */
export const MTP_CHOICES: readonly MtpCounting[] = ['exclude', 'include', 'checkpoint'];

/** The conventions that change a count. Every field is optional; see `resolveCountOptions`. */
export interface CountOptions {
  /** Override the config's `tie_word_embeddings`. */
  tiedEmbeddings?: boolean;
  /** Default 'both'. */
  activeEmbeddings?: ActiveEmbeddings;
  /** Default 'exclude'. */
  mtp?: MtpCounting;
}

/** The options actually used, with the defaults and the config's tying filled in. */
export interface ResolvedCountOptions {
  tiedEmbeddings: boolean;
  activeEmbeddings: ActiveEmbeddings;
  mtp: MtpCounting;
}

/** One weight tensor of a layer (or of the model, for embeddings and final norms). */
export interface ParameterBlock {
  /** Hugging Face-style name, e.g. `mlp.experts.{e}.up_proj.weight`. */
  name: string;
  component: ParameterComponent;
  shape: number[];
  /** How many such tensors there are (N for one routed-expert matrix). */
  copies: number;
  /** How many of them one token uses (k for one routed-expert matrix). */
  activeCopies: number;
  /** Whether the tensor is a matmul weight (counted in forward FLOPs). */
  matmul: boolean;
  /** Input embedding or output head: these follow the `activeEmbeddings` convention. */
  role?: 'input-embedding' | 'output-head';
  /** An output head that is the input embedding matrix itself: it stores nothing of its own. */
  tiedToInput?: boolean;
}

/** A total and an active count. */
export interface Counts {
  total: number;
  active: number;
}

/** Counts of one layer kind ("the 58 MoE layers"). */
export interface LayerKindCounts extends Counts {
  kind: string;
  stack: 'encoder' | 'decoder' | 'mtp';
  layers: number;
  /** "MHA", "GQA", "MQA" or "MLA". */
  attention: string;
  perLayer: Counts;
  byComponent: Record<ParameterComponent, Counts>;
}

/** Everything `countParameters` returns. */
export interface ParameterCounts extends Counts {
  options: ResolvedCountOptions;
  byComponent: Record<ParameterComponent, Counts>;
  byLayerKind: LayerKindCounts[];
  /** Matmul weights one token multiplies by in the main model (no MTP): the FLOP count's basis. */
  activeMatmulParams: number;
}

/** Product of a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Fills in the defaults of `options` and checks its values. */
export function resolveCountOptions(model: ModelDescription, options: CountOptions = {}): ResolvedCountOptions {
  checkOptions('options', options);
  const tiedEmbeddings = options.tiedEmbeddings ?? model.tieWordEmbeddings;
  if (typeof tiedEmbeddings !== 'boolean') {
    throw new MoEOracleError('options.tiedEmbeddings', 'true or false', String(tiedEmbeddings));
  }
  return {
    tiedEmbeddings,
    activeEmbeddings: checkOneOf('options.activeEmbeddings', options.activeEmbeddings ?? 'both', ACTIVE_EMBEDDINGS_CHOICES),
    mtp: checkOneOf('options.mtp', options.mtp ?? 'exclude', MTP_CHOICES),
  };
}

// ---------------------------------------------------------------------------------------------
// Blocks of each building piece.

/** A weight [out, in] and, with `bias`, a bias [out]: the parameters of one nn.Linear. */
function linearBlocks(
  name: string,
  component: ParameterComponent,
  outFeatures: number,
  inFeatures: number,
  bias: boolean,
  copies = 1,
  activeCopies = copies,
): ParameterBlock[] {
  const weight: ParameterBlock = {
    name: `${name}.weight`,
    component,
    shape: [outFeatures, inFeatures],
    copies,
    activeCopies,
    matmul: true,
  };
  if (!bias) return [weight];
  return [weight, { name: `${name}.bias`, component, shape: [outFeatures], copies, activeCopies, matmul: false }];
}

/** The weight (and bias) of one norm over a vector of width `size`. */
function normBlocks(name: string, size: number, norm: NormSpec, component: ParameterComponent = 'norms', copies = 1): ParameterBlock[] {
  const blocks: ParameterBlock[] = [
    { name: `${name}.weight`, component, shape: [size], copies, activeCopies: copies, matmul: false },
  ];
  if (norm.bias) blocks.push({ name: `${name}.bias`, component, shape: [size], copies, activeCopies: copies, matmul: false });
  return blocks;
}

/** One feed-forward block (gated: gate, up, down; classic: in, out), `copies` of it, `activeCopies` used. */
export function feedForwardBlocks(
  prefix: string,
  component: ParameterComponent,
  ffn: FeedForwardSpec,
  hiddenSize: number,
  copies = 1,
  activeCopies = copies,
): ParameterBlock[] {
  const I = ffn.intermediateSize;
  const projections = ffn.gated
    ? [
        linearBlocks(`${prefix}.gate_proj`, component, I, hiddenSize, ffn.bias, copies, activeCopies),
        linearBlocks(`${prefix}.up_proj`, component, I, hiddenSize, ffn.bias, copies, activeCopies),
        linearBlocks(`${prefix}.down_proj`, component, hiddenSize, I, ffn.bias, copies, activeCopies),
      ]
    : [
        linearBlocks(`${prefix}.wi`, component, I, hiddenSize, ffn.bias, copies, activeCopies),
        linearBlocks(`${prefix}.wo`, component, hiddenSize, I, ffn.bias, copies, activeCopies),
      ];
  return projections.flat();
}

/** One attention block (MHA/GQA or MLA). Its norms (q/k norms, MLA latent norms) count as attention. */
export function attentionBlocks(prefix: string, attention: AttentionSpec, hiddenSize: number): ParameterBlock[] {
  const H = hiddenSize;
  if (attention.kind === 'mla') {
    const heads = attention.numHeads;
    const qHeadDim = attention.qkNopeHeadDim + attention.qkRopeHeadDim;
    const latentNorm: NormSpec = { kind: 'rmsnorm', bias: false };
    const query =
      attention.qLoraRank === null
        ? linearBlocks(`${prefix}.q_proj`, 'attention', heads * qHeadDim, H, false)
        : [
            ...linearBlocks(`${prefix}.q_a_proj`, 'attention', attention.qLoraRank, H, attention.bias),
            ...normBlocks(`${prefix}.q_a_layernorm`, attention.qLoraRank, latentNorm, 'attention'),
            ...linearBlocks(`${prefix}.q_b_proj`, 'attention', heads * qHeadDim, attention.qLoraRank, false),
          ];
    return [
      ...query,
      ...linearBlocks(`${prefix}.kv_a_proj_with_mqa`, 'attention', attention.kvLoraRank + attention.qkRopeHeadDim, H, attention.bias),
      ...normBlocks(`${prefix}.kv_a_layernorm`, attention.kvLoraRank, latentNorm, 'attention'),
      ...linearBlocks(
        `${prefix}.kv_b_proj`,
        'attention',
        heads * (attention.qkNopeHeadDim + attention.vHeadDim),
        attention.kvLoraRank,
        false,
      ),
      ...linearBlocks(`${prefix}.o_proj`, 'attention', H, heads * attention.vHeadDim, attention.bias),
    ];
  }
  const queryWidth = attention.numHeads * attention.headDim;
  const keyValueWidth = attention.numKeyValueHeads * attention.headDim;
  const qkNorm: NormSpec = { kind: 'rmsnorm', bias: false };
  return [
    ...linearBlocks(`${prefix}.q_proj`, 'attention', queryWidth, H, attention.qkvBias),
    ...linearBlocks(`${prefix}.k_proj`, 'attention', keyValueWidth, H, attention.qkvBias),
    ...linearBlocks(`${prefix}.v_proj`, 'attention', keyValueWidth, H, attention.qkvBias),
    ...linearBlocks(`${prefix}.o_proj`, 'attention', H, queryWidth, attention.outputBias),
    ...(attention.queryNormSize > 0 ? normBlocks(`${prefix}.q_norm`, attention.queryNormSize, qkNorm, 'attention') : []),
    ...(attention.keyNormSize > 0 ? normBlocks(`${prefix}.k_norm`, attention.keyNormSize, qkNorm, 'attention') : []),
    ...(attention.sinks === true ? [{ name: `${prefix}.sinks`, component: 'attention' as const, shape: [attention.numHeads], copies: 1, activeCopies: 1, matmul: false }] : []),
  ];
}

/**
 * One Mixture-of-Experts block: router [N, H] (+ bias [N], + score-correction bias [N]), N routed
 * experts of which k are active, and the always-active shared experts (+ Qwen2-MoE's gate [1, H]).
 */
export function moeBlocks(prefix: string, moe: MoESpec, hiddenSize: number): ParameterBlock[] {
  const N = moe.numExperts;
  const blocks = [
    ...linearBlocks(`${prefix}.gate`, 'router', N, hiddenSize, moe.routerBias),
    ...feedForwardBlocks(`${prefix}.experts.{e}`, 'routedExperts', moe.expert, hiddenSize, N, moe.topK),
  ];
  if (moe.scoreCorrectionBias) {
    blocks.push({
      name: `${prefix}.gate.e_score_correction_bias`,
      component: 'router',
      shape: [N],
      copies: 1,
      activeCopies: 1,
      matmul: false,
    });
  }
  const shared = moe.sharedExperts;
  if (shared !== null && shared.count > 0) {
    blocks.push(...feedForwardBlocks(`${prefix}.shared_experts.{s}`, 'sharedExperts', shared.expert, hiddenSize, shared.count));
    if (shared.gate) blocks.push(...linearBlocks(`${prefix}.shared_expert_gate`, 'sharedExperts', 1, hiddenSize, false));
  }
  return blocks;
}

/** The blocks of one layer of `group`. */
export function layerBlocks(group: LayerGroup, hiddenSize: number, norm: NormSpec): ParameterBlock[] {
  const feedForward =
    group.feedForward.kind === 'moe'
      ? moeBlocks('mlp', group.feedForward.moe, hiddenSize)
      : feedForwardBlocks('mlp', 'denseFeedForward', group.feedForward.ffn, hiddenSize);
  return [
    ...attentionBlocks('self_attn', group.selfAttention, hiddenSize),
    ...(group.crossAttention ? attentionBlocks('cross_attn', group.crossAttention, hiddenSize) : []),
    ...feedForward,
    ...normBlocks('layernorm', hiddenSize, norm, 'norms', group.normsPerLayer),
  ];
}

/** Input embedding [V, H] and output head [V, H] (a view of the embedding when tied). */
function embeddingBlocks(prefix: string, component: ParameterComponent | null, vocabSize: number, hiddenSize: number, tied: boolean): ParameterBlock[] {
  const shape = [vocabSize, hiddenSize];
  return [
    { name: `${prefix}embed_tokens.weight`, component: component ?? 'embeddings', shape, copies: 1, activeCopies: 1, matmul: false, role: 'input-embedding' },
    {
      name: `${prefix}lm_head.weight`,
      // A tied head is the embedding matrix: it belongs to the embeddings component.
      component: component ?? (tied ? 'embeddings' : 'lmHead'),
      shape,
      copies: 1,
      activeCopies: 1,
      matmul: true,
      role: 'output-head',
      tiedToInput: tied,
    },
  ];
}

/** Unique weights of the MTP modules (their layers, enorm, hnorm, eh_proj, head norm), plus checkpoint copies. */
function mtpBlocks(model: ModelDescription, options: ResolvedCountOptions): ParameterBlock[] {
  const mtp = model.mtp;
  if (mtp === null || options.mtp === 'exclude') return [];
  const H = model.hiddenSize;
  const perModule = [
    ...normBlocks('enorm', H, model.norm),
    ...normBlocks('hnorm', H, model.norm),
    ...linearBlocks('eh_proj', 'mtp', H, 2 * H, false),
    ...normBlocks('shared_head.norm', H, model.norm),
    // The Hugging Face checkpoint stores each module's (shared) embedding and head again.
    ...(options.mtp === 'checkpoint' ? embeddingBlocks('', 'mtp', model.vocabSize, H, false) : []),
  ];
  const repeated = (blocks: ParameterBlock[], times: number) =>
    blocks.map((block) => ({ ...block, copies: block.copies * times, activeCopies: block.activeCopies * times }));
  return [
    ...mtp.layerGroups.flatMap((group) => repeated(layerBlocks(group, H, model.norm), group.count)),
    ...repeated(perModule, mtp.modules),
  ].map((block) => ({ ...block, name: `mtp.{m}.${block.name}`, component: 'mtp' }));
}

// ---------------------------------------------------------------------------------------------
// Summing blocks.

/** Elements a block stores. */
function storedElements(block: ParameterBlock): number {
  return block.tiedToInput ? 0 : block.copies * elementCount(block.shape);
}

/** Elements a block contributes to the active count under the embedding convention. */
function activeElements(block: ParameterBlock, activeEmbeddings: ActiveEmbeddings): number {
  const used = block.activeCopies * elementCount(block.shape);
  if (block.role === 'input-embedding') return activeEmbeddings === 'both' ? used : 0;
  if (block.role === 'output-head') {
    if (activeEmbeddings === 'none') return 0;
    // A tied head is the input embedding matrix: counted once, with the embedding, under 'both'.
    return block.tiedToInput && activeEmbeddings === 'both' ? 0 : used;
  }
  return used;
}

/** Zero counts for every component. */
function zeroCounts(): Record<ParameterComponent, Counts> {
  const counts = {} as Record<ParameterComponent, Counts>;
  for (const component of PARAMETER_COMPONENTS) counts[component] = { total: 0, active: 0 };
  return counts;
}

/** A part of the model: `layers` repetitions of `blocks` (a layer group, the embeddings, the MTP modules). */
export interface ModelSection {
  kind: string;
  /** null for the embeddings and the final norms, which belong to no layer. */
  stack: 'encoder' | 'decoder' | 'mtp' | null;
  /** "MHA", "GQA", "MQA", "MLA" ('' outside layers). */
  attention: string;
  layers: number;
  blocks: ParameterBlock[];
}

interface SectionSum extends Counts {
  /** Matmul weights one token multiplies by (for FLOPs; independent of the embedding convention). */
  activeMatmul: number;
}

/** Totals of `blocks`, repeated `layers` times, also added into `into` (per component). */
function addBlocks(into: Record<ParameterComponent, Counts>, blocks: ParameterBlock[], layers: number, activeEmbeddings: ActiveEmbeddings): SectionSum {
  const sum: SectionSum = { total: 0, active: 0, activeMatmul: 0 };
  for (const block of blocks) {
    const total = layers * storedElements(block);
    const active = layers * activeElements(block, activeEmbeddings);
    into[block.component].total += total;
    into[block.component].active += active;
    sum.total += total;
    sum.active += active;
    if (block.matmul) sum.activeMatmul += layers * block.activeCopies * elementCount(block.shape);
  }
  return sum;
}

/** The model as sections: embeddings, every layer group, final norms, MTP modules. */
export function modelSections(model: ModelDescription, options: ResolvedCountOptions): ModelSection[] {
  const H = model.hiddenSize;
  const sections: ModelSection[] = [
    { kind: 'embeddings', stack: null, attention: '', layers: 1, blocks: embeddingBlocks('', null, model.vocabSize, H, options.tiedEmbeddings) },
  ];
  for (const group of model.layerGroups) {
    sections.push({
      kind: group.kind,
      stack: group.stack,
      attention: attentionLabel(group.selfAttention),
      layers: group.count,
      blocks: layerBlocks(group, H, model.norm),
    });
  }
  const closing: ParameterBlock[] = [...normBlocks('final_norm', H, model.norm, 'norms', model.finalNorms)];
  if (model.positionBiasParams > 0) {
    closing.push({
      name: 'relative_attention_bias.weight',
      component: 'positionBias',
      shape: [model.positionBiasParams],
      copies: 1,
      activeCopies: 1,
      matmul: false,
    });
  }
  sections.push({ kind: 'final', stack: null, attention: '', layers: 1, blocks: closing });
  const mtp = mtpBlocks(model, options);
  if (mtp.length > 0 && model.mtp) {
    sections.push({ kind: 'mtp', stack: 'mtp', attention: attentionLabel(model.mtp.layerGroups[0].selfAttention), layers: 1, blocks: mtp });
  }
  return sections;
}

/**
 * Counts the parameters of `model`: total and active, per component and per layer kind.
 *
 * @example countParameters(readHfModel(mixtralConfig)).total // 46_702_792_704
 */
export function countParameters(model: ModelDescription, options: CountOptions = {}): ParameterCounts {
  checkModelDescription('model', model);
  const resolved = resolveCountOptions(model, options);
  const byComponent = zeroCounts();
  const byLayerKind: LayerKindCounts[] = [];
  let total = 0;
  let active = 0;
  let activeMatmulParams = 0;
  for (const section of modelSections(model, resolved)) {
    const sectionByComponent = zeroCounts();
    const sum = addBlocks(sectionByComponent, section.blocks, section.layers, resolved.activeEmbeddings);
    for (const component of PARAMETER_COMPONENTS) {
      byComponent[component].total += sectionByComponent[component].total;
      byComponent[component].active += sectionByComponent[component].active;
    }
    total += sum.total;
    active += sum.active;
    // MTP modules are not part of the main model's forward pass.
    if (section.stack !== 'mtp') activeMatmulParams += sum.activeMatmul;
    if (section.stack !== null) {
      const layers = section.stack === 'mtp' && model.mtp ? model.mtp.modules : section.layers;
      byLayerKind.push({
        kind: section.kind,
        stack: section.stack,
        layers,
        attention: section.attention,
        perLayer: { total: sum.total / layers, active: sum.active / layers },
        total: sum.total,
        active: sum.active,
        byComponent: sectionByComponent,
      });
    }
  }
  // Sizes are at most 2^31 - 1 each (src/hf/fields.ts), but their products can still pass 2^53.
  if (!Number.isSafeInteger(total)) {
    throw new MoEOracleError('config', 'a model of fewer than 2^53 parameters (counted exactly in float64)', `${total.toExponential(3)} parameters`);
  }
  return { options: resolved, total, active, byComponent, byLayerKind, activeMatmulParams };
}
