export * from './reference.js';
export * from './location.js';
