export * from './layout.js';
export * from './store.js';
export * from './source.js';
export * from './sink.js';
export * from './open.js';
