/**
 * moe-oracle: a readable float32 reference implementation and test oracle for Mixture-of-Experts layers.
 * Everything public is exported from here; each folder is one layer of the architecture.
 */
export * from './tensor/index.js';
export * from './router/index.js';
export * from './experts/index.js';
export * from './moe/index.js';
export * from './golden/index.js';
export * from './params/index.js';
