export * from './resolver.js';
export * from './image.js';
export * from './labels.js';
export { RepositoryReader, MAX_CONFIG_BYTES } from './fetch.js';
export * from './imageset.js';
