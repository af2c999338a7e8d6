export * from './list.js';
export * from './plan.js';
export * from './run.js';
export * from './report.js';
export * from './input.js';
