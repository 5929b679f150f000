// Internal barrel of the folder; the public API is src/index.ts.
export * from './kernels.js';
export * from './registry.js';
export * from './ops.js';
export { cpuBackend } from './cpu/index.js';
