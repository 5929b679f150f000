export * from './errors.js';
export * from './tensor.js';
export * from './prng.js';
export * from './linear.js';
export * from './softmax.js';
export * from './activations.js';
export * from './erf.js';
export * from './rmsnorm.js';
