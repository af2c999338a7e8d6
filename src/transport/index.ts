export type * from './types.js';
export * from './context.js';
export * from './location.js';
export * from './schemes.js';
export * from './open.js';
export * from './source.js';
export * from './sink.js';
export * from './layout/index.js';
export * from './registry/index.js';
