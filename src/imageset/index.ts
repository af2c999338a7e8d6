// The image set model: images.yaml parsing and validation, templates, rules, credentials.
export type * from './types.js';
export { ImageSetFileSchema, ImageEntrySchema, RuleSchema, CredentialSourceSchema, type ImageSetFile } from './schema.js';
export { loadImageSet, parseImageSet } from './load.js';
export { validateImageSet } from './validate.js';
export { formatProblem, type ImageSetProblem } from './problems.js';
export { renderTemplate, renderLabelTemplate, labelTemplate, templatePlaceholders, fillTemplate } from './template.js';
export { planImageSet, ruleApplies, isSwitchedOff, DEFAULT_LABEL_PLATFORM } from './rules.js';
export { registryCredentials, type RegistryCredential, type ReadSecretFile } from './credentials.js';
export { imageSetJsonSchema, imageSetJsonSchemaText } from './json-schema.js';
export { describePlan, formatPlan, type PlanRow } from './describe.js';
export { destinationOf } from './destination.js';
