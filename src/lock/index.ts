export * from './types.js';
export * from './read.js';
export * from './write.js';
export * from './diff.js';
export * from './check.js';
export * from './mirror.js';
export * from './detect.js';
export * from './keys.js';
