/**
 * The report of the `moe-oracle params` command: counts, FLOPs, memory and, for a preset, the
 * published figures, as one JSON-ready object and as readable text tables.
 *
 * All numbers are computed by `count.ts`, `cost.ts` and `compare.ts`; this file only arranges them.
 */
import type { ModelDescription } from '../hf/model-description.js';
import { comparePublished, optionFlags } from './compare.js';
import { ACTIVE_EMBEDDINGS_CHOICES, MTP_CHOICES, PARAMETER_COMPONENTS, countParameters, type ParameterComponent, type CountOptions, type Counts, type ResolvedCountOptions } from './count.js';
import { DTYPES, modelCosts, type Dtype } from './cost.js';
import { formatBytes, formatCount, formatFlops, formatPercent, renderTextTable } from './format.js';
import { readHfModel } from '../hf/model.js';
import { PRESETS, type Preset } from './presets.js';
import { checkBoolean, checkFiniteNumber, checkObject, checkOneOf, checkOptions, describe, MoEOracleError } from '../tensor/errors.js';

/** Readable names of the components. */
export const COMPONENT_LABELS: Record<ParameterComponent, string> = {
  embeddings: 'input embedding',
  attention: 'attention',
  denseFeedForward: 'dense FFN',
  routedExperts: 'routed experts',
  sharedExperts: 'shared experts',
  router: 'routers',
  norms: 'norms',
  positionBias: 'position bias',
  lmHead: 'LM head',
  mtp: 'MTP modules',
};

/** One layer kind in the report. */
export interface LayerKindReport extends Counts {
  kind: string;
  stack: string;
  layers: number;
  attention: string;
  perLayer: Counts;
  breakdown: Record<ParameterComponent, Counts>;
}

/** One published figure in the report. */
export interface PublishedReport {
  quantity: 'total' | 'active';
  published: string;
  value: number;
  what: string;
  /** The flags of the conventions the figure is compared under ('' for the defaults). */
  flags: string;
  computed: number;
  difference: number;
  withinTolerance: boolean;
  source: string;
}

/** Everything `moe-oracle params` reports. `total` and `active` are plain integers. */
export interface ParamsReport {
  name: string;
  preset: string | null;
  modelType: string;
  source: string | null;
  options: ResolvedCountOptions;
  total: number;
  active: number;
  breakdown: Record<ParameterComponent, Counts>;
  layers: LayerKindReport[];
  flops: { contextLength: number; matmulPerToken: number; attentionPerToken: number; totalPerToken: number };
  memory: { weightBytes: Record<Dtype, number> };
  kvCache: { elementsPerToken: number; bytesPerToken: Record<Dtype, number> };
  published: PublishedReport[];
  notes: string | null;
}

/** What the report is about: a preset, or a config.json (named by its path). */
export interface ReportSubject {
  name: string;
  config: unknown;
  preset?: Preset;
}

/** Computes the report of `subject` under `options` at `contextLength` tokens of context. */
export function buildReport(subject: ReportSubject, options: CountOptions, contextLength: number): ParamsReport {
  checkObject('subject', subject, 'a report subject { name, config, preset? }');
  if (typeof subject.name !== 'string') throw new MoEOracleError('subject.name', 'a name (a preset or a config path)', describe(subject.name));
  if (subject.preset !== undefined && !PRESETS.includes(subject.preset)) throw new MoEOracleError('subject.preset', 'a preset of PRESETS (findPreset)', describe(subject.preset));
  const model: ModelDescription = readHfModel(subject.config, subject.preset?.name ?? subject.name);
  const counts = countParameters(model, options);
  const costs = modelCosts(model, counts, contextLength);
  const published = subject.preset
    ? comparePublished(subject.preset).map((comparison) => ({
        quantity: comparison.figure.quantity,
        published: comparison.figure.text,
        value: comparison.figure.value,
        what: comparison.figure.what,
        flags: optionFlags(comparison.figure.options),
        computed: comparison.computed,
        difference: comparison.difference,
        withinTolerance: comparison.withinTolerance,
        source: comparison.figure.source,
      }))
    : [];
  return {
    name: subject.preset?.title ?? subject.name,
    preset: subject.preset?.name ?? null,
    modelType: model.modelType,
    source: subject.preset?.source ?? null,
    options: counts.options,
    total: counts.total,
    active: counts.active,
    breakdown: counts.byComponent,
    layers: counts.byLayerKind.map((layer) => ({
      kind: layer.kind,
      stack: layer.stack,
      layers: layer.layers,
      attention: layer.attention,
      perLayer: layer.perLayer,
      total: layer.total,
      active: layer.active,
      breakdown: layer.byComponent,
    })),
    flops: {
      contextLength: costs.flopsPerToken.contextLength,
      matmulPerToken: costs.flopsPerToken.matmul,
      attentionPerToken: costs.flopsPerToken.attention,
      totalPerToken: costs.flopsPerToken.total,
    },
    memory: { weightBytes: costs.weightBytes },
    kvCache: costs.kvCache,
    published,
    notes: subject.preset?.notes ?? null,
  };
}

function describeOptions(options: ResolvedCountOptions): string {
  const active = {
    both: 'input embedding and LM head count as active',
    'lm-head': 'only the LM head counts as active (not the input embedding)',
    none: 'neither embedding counts as active',
  }[options.activeEmbeddings];
  const mtp = {
    exclude: 'MTP modules excluded',
    include: 'MTP modules included (unique weights)',
    checkpoint: 'MTP modules included as stored in the checkpoint',
  }[options.mtp];
  return `counting: ${options.tiedEmbeddings ? 'tied' : 'untied'} embeddings; ${active}; ${mtp}`;
}

function dtypeList(bytes: Record<Dtype, number>): string {
  return DTYPES.map((dtype) => `${dtype} ${formatBytes(bytes[dtype])}`).join(' · ');
}

/** Per-component table, whole model and (with `perLayerKind`) one layer of each kind. */
function renderBreakdown(report: ParamsReport): string {
  const used = PARAMETER_COMPONENTS.filter((component) => report.breakdown[component].total > 0 || report.breakdown[component].active > 0);
  const header = ['component', 'total', 'active', 'share of total'];
  const rows = used.map((component) => [
    COMPONENT_LABELS[component],
    formatCount(report.breakdown[component].total),
    formatCount(report.breakdown[component].active),
    `${((100 * report.breakdown[component].total) / report.total).toFixed(2)}%`,
  ]);
  let text = '\nBreakdown by component (whole model)\n' + renderTextTable(header, rows, ['left', 'right', 'right', 'right']);
  const layerHeader = ['component (one layer)', ...report.layers.flatMap((layer) => [`${layer.kind} total`, `${layer.kind} active`])];
  const layerRows = PARAMETER_COMPONENTS.filter((component) => report.layers.some((layer) => layer.breakdown[component].total > 0)).map(
    (component) => [
      COMPONENT_LABELS[component],
      ...report.layers.flatMap((layer) => [
        formatCount(layer.breakdown[component].total / layer.layers),
        formatCount(layer.breakdown[component].active / layer.layers),
      ]),
    ],
  );
  text +=
    '\nBreakdown of one layer of each kind\n' +
    renderTextTable(layerHeader, layerRows, ['left', ...report.layers.flatMap(() => ['right', 'right'] as const)]);
  return text;
}

function checkNumbers(where: string, value: unknown, keys: readonly string[]): void {
  checkObject(where, value);
  for (const key of keys) checkFiniteNumber(`${where}.${key}`, (value as Record<string, unknown>)[key]);
}

function checkStrings(where: string, value: unknown, keys: readonly string[], nullable: readonly string[] = []): void {
  checkObject(where, value);
  for (const key of keys) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== 'string' && !(field === null && nullable.includes(key))) throw new MoEOracleError(`${where}.${key}`, 'a string', describe(field));
  }
}

/** Every field `renderReport` reads, with its type: a report of `buildReport`, or one read back from its JSON. */
function checkReport(report: ParamsReport): void {
  checkStrings('report', report, ['name', 'modelType', 'preset', 'source', 'notes'], ['preset', 'source', 'notes']);
  checkNumbers('report', report, ['total', 'active']);
  checkObject('report.options', report.options);
  if (typeof report.options.tiedEmbeddings !== 'boolean') throw new MoEOracleError('report.options.tiedEmbeddings', 'true or false', describe(report.options.tiedEmbeddings));
  checkOneOf('report.options.activeEmbeddings', report.options.activeEmbeddings, ACTIVE_EMBEDDINGS_CHOICES);
  checkOneOf('report.options.mtp', report.options.mtp, MTP_CHOICES);
  for (const component of PARAMETER_COMPONENTS) checkNumbers(`report.breakdown.${component}`, report.breakdown?.[component], ['total', 'active']);
  if (!Array.isArray(report.layers)) throw new MoEOracleError('report.layers', 'an array of layer kinds', describe(report.layers));
  report.layers.forEach((layer, i) => {
    checkStrings(`report.layers[${i}]`, layer, ['kind', 'attention']);
    checkNumbers(`report.layers[${i}]`, layer, ['layers', 'total', 'active']);
    checkNumbers(`report.layers[${i}].perLayer`, layer.perLayer, ['total', 'active']);
    for (const component of PARAMETER_COMPONENTS) checkNumbers(`report.layers[${i}].breakdown.${component}`, layer.breakdown?.[component], ['total', 'active']);
  });
  checkNumbers('report.flops', report.flops, ['contextLength', 'matmulPerToken', 'attentionPerToken', 'totalPerToken']);
  checkObject('report.memory', report.memory);
  checkNumbers('report.memory.weightBytes', report.memory.weightBytes, DTYPES);
  checkNumbers('report.kvCache', report.kvCache, ['elementsPerToken']);
  checkNumbers('report.kvCache.bytesPerToken', report.kvCache.bytesPerToken, DTYPES);
  if (!Array.isArray(report.published)) throw new MoEOracleError('report.published', 'an array of published figures', describe(report.published));
  report.published.forEach((figure, i) => {
    checkStrings(`report.published[${i}]`, figure, ['quantity', 'published', 'flags', 'what']);
    checkNumbers(`report.published[${i}]`, figure, ['computed', 'difference']);
  });
}

/** The report as readable text: the default output of `moe-oracle params`. */
export function renderReport(report: ParamsReport, options: { breakdown?: boolean } = {}): string {
  checkReport(report);
  const breakdown = checkBoolean('options.breakdown', checkOptions('options', options).breakdown, false);
  const heading = report.preset
    ? `${report.name} (preset ${report.preset}, model_type ${report.modelType})`
    : `${report.name} (model_type ${report.modelType})`;
  let text = `${heading}\n${describeOptions(report.options)}\n\n`;
  text += renderTextTable(
    ['parameters', 'total', 'active'],
    [['whole model', formatCount(report.total), formatCount(report.active)]],
    ['left', 'right', 'right'],
  );
  text +=
    '\n' +
    renderTextTable(
      ['layer kind', 'layers', 'attention', 'per layer', 'active per layer', 'total', 'active'],
      report.layers.map((layer) => [
        layer.kind,
        String(layer.layers),
        layer.attention,
        formatCount(layer.perLayer.total),
        formatCount(layer.perLayer.active),
        formatCount(layer.total),
        formatCount(layer.active),
      ]),
      ['left', 'right', 'left', 'right', 'right', 'right', 'right'],
    );
  if (breakdown) text += renderBreakdown(report);
  const flops = report.flops;
  text += `\nForward FLOPs per token at context ${flops.contextLength}: ${formatFlops(flops.totalPerToken)}`;
  text += ` (matmul ${formatFlops(flops.matmulPerToken)} + attention ${formatFlops(flops.attentionPerToken)})\n`;
  text += `Weights: ${dtypeList(report.memory.weightBytes)}\n`;
  text += `KV cache per token (${report.kvCache.elementsPerToken} values): ${dtypeList(report.kvCache.bytesPerToken)}\n`;
  if (report.published.length > 0) {
    text +=
      '\nPublished figures\n' +
      renderTextTable(
        ['quantity', 'published', 'computed', 'difference', 'counted with', 'what'],
        report.published.map((figure) => [
          figure.quantity,
          figure.published,
          formatCount(figure.computed),
          formatPercent(figure.difference),
          figure.flags || '(defaults)',
          figure.what,
        ]),
        ['left', 'right', 'right', 'right', 'left', 'left'],
      );
  }
  if (report.notes) text += `\nNotes: ${report.notes}\n`;
  if (report.source) text += `Config: ${report.source}\n`;
  return text;
}

