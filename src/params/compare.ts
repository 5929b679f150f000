/**
 * Computed counts next to published ones.
 *
 * For each published figure of a preset, the count is computed under the figure's conventions and
 *
 *   relative difference = (computed − published) / published
 *
 * A figure agrees when the difference is within 1%, or, for a figure rounded to few digits (its
 * `rounding`), when the exact count rounds (or truncates) to the published digits.
 */
import { countParameters, type CountOptions } from './count.js';
import { readHfModel } from '../hf/model.js';
import { publishedStep, type Preset, type PublishedFigure } from './presets.js';

/** The tolerance of the comparison: 1%. */
export const AGREEMENT_TOLERANCE = 0.01;

/** One published figure and the computed count. */
export interface FigureComparison {
  figure: PublishedFigure;
  /** The count under the figure's conventions. */
  computed: number;
  /** The count under the default conventions. */
  computedWithDefaults: number;
  /** (computed − published) / published. */
  difference: number;
  withinTolerance: boolean;
  /** Whether `computed`, rounded as the publisher rounds, gives the published digits. */
  roundsToPublished: boolean;
}

/** Whether `computed` rounds (or truncates, per `figure.rounding`) to the digits of `figure.text`. */
export function roundsToPublished(computed: number, figure: PublishedFigure): boolean {
  const step = publishedStep(figure.text);
  const steps = figure.rounding === 'down' ? Math.floor(computed / step) : Math.round(computed / step);
  return steps === Math.round(figure.value / step);
}

/** The command-line flags that select `options` (empty for the defaults). */
export function optionFlags(options: CountOptions): string {
  const flags: string[] = [];
  if (options.tiedEmbeddings === true) flags.push('--tied-embeddings');
  if (options.tiedEmbeddings === false) flags.push('--untied-embeddings');
  if (options.activeEmbeddings !== undefined && options.activeEmbeddings !== 'both') flags.push(`--active-embeddings ${options.activeEmbeddings}`);
  if (options.mtp !== undefined && options.mtp !== 'exclude') flags.push(`--mtp ${options.mtp}`);
  return flags.join(' ');
}

/** Every published figure of `preset` with the computed count. */
export function comparePublished(preset: Preset): FigureComparison[] {
  const model = readHfModel(preset.config, preset.name);
  return preset.published.map((figure) => {
    const computed = countParameters(model, figure.options)[figure.quantity];
    const difference = (computed - figure.value) / figure.value;
    return {
      figure,
      computed,
      computedWithDefaults: countParameters(model)[figure.quantity],
      difference,
      withinTolerance: Math.abs(difference) <= AGREEMENT_TOLERANCE,
      roundsToPublished: roundsToPublished(computed, figure),
    };
  });
}
