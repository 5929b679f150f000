// Internal barrel of the folder (specs and other folders import from here); the public API is src/index.ts.
export * from './errors.js';
export * from './tensor.js';
export * from './prng.js';
export * from './softmax.js';
export * from './activations.js';
export * from './erf.js';
