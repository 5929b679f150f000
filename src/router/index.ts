// Internal barrel of the folder; the public API is src/index.ts.
export * from './topk.js';
export * from './router.js';
