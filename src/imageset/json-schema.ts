import * as z from 'zod/mini';
import { ImageSetFileSchema } from './schema.js';

/**
 * The JSON Schema (draft 2020-12) of `images.yaml`, generated from the zod schema so the
 * two never disagree. `npm run schema` writes it to `schema/images.schema.json`.
 */
export function imageSetJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ImageSetFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, title: 'airlock image set', ...rest };
}

/** The schema file's exact text: two-space JSON with a final newline. */
export function imageSetJsonSchemaText(): string {
  return `${JSON.stringify(imageSetJsonSchema(), null, 2)}\n`;
}
