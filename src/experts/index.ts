// Internal barrel of the folder; the public API is src/index.ts.
export * from './kind.js';
export * from './swiglu.js';
export * from './ffn.js';
export * from './fine-grained.js';
export * from './gpt-oss.js';
