export * from './topk.js';
export * from './router.js';
