// airlock's public API: re-exports only.
export * from './errors.js';
export * from './oci/index.js';
export * from './ref/index.js';
export * from './retry/index.js';
export * from './transport/index.js';
export { CopyRun, type CopyRunOptions, type ImageCopyOptions, type RunTotals } from './copy/engine.js';
export { adaptManifest, MANIFEST_FORMATS, type ManifestFormat } from './copy/convert.js';
export type { CopyEvent, BlobAction } from './copy/events.js';
export type { ImageResult } from './copy/result.js';
export * from './mirror/index.js';
// The image set's CredentialSource (where a set reads a secret) is exported as ImageSetCredentialSource.
export {
  loadImageSet,
  parseImageSet,
  validateImageSet,
  planImageSet,
  registryCredentials,
  renderTemplate,
  renderLabelTemplate,
  imageSetJsonSchema,
  describePlan,
  formatPlan,
  destinationOf,
  type PlanRow,
  type ImportedFrom,
  type ImageSet,
  type ImageEntry,
  type Rule,
  type PlannedImage,
  type ParamValue,
  type CredentialSource as ImageSetCredentialSource,
} from './imageset/index.js';
export * from './imageset/importers/index.js';
export * from './lock/index.js';
export * from './resolve/index.js';
export * from './render/index.js';
