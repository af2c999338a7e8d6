export * from './policy.js';
export * from './classify.js';
export * from './retrying.js';
