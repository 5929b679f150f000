// Internal barrel of the folder; the public API is src/index.ts.
export * from './fields.js';
export * from './moe-block.js';
export * from './attention.js';
export * from './layer-config.js';
export * from './model-description.js';
export * from './model.js';
