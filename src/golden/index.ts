// Internal barrel of the folder; the public API is src/index.ts.
export * from './safetensors.js';
export * from './tolerance.js';
export * from './compare.js';
export * from './components.js';
export * from './case.js';
export * from './suite.js';
export * from './verify.js';
export { GOLDEN_CASES } from './cases/index.js';
