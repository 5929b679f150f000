export * from './swiglu.js';
export * from './ffn.js';
export * from './fine-grained.js';
