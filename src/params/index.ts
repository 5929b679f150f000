// Internal barrel of the folder; the public API is src/index.ts.
/**
 * Parameter, compute and memory calculators for dense and Mixture-of-Experts transformers, with
 * presets of published models. See README.md.
 */
export * from './count.js';
export * from './cost.js';
export * from './presets.js';
export * from './compare.js';
export * from './format.js';
export * from './report.js';
export { renderPresetTable } from './preset-table.js';
