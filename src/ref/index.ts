export * from './reference.js';

