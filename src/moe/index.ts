// Internal barrel of the folder; the public API is src/index.ts.
export * from './config.js';
export * from './names.js';
export * from './params.js';
export * from './dispatch.js';
export * from './layer.js';
