export * from './types.js';
export * from './files.js';
export * from './helper.js';
export * from './store.js';
