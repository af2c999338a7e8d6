import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageSetJsonSchema, imageSetJsonSchemaText } from './json-schema.js';

const committed = join(import.meta.dirname, '..', '..', 'schema', 'images.schema.json');

describe('the JSON Schema of images.yaml', () => {
  it('is committed exactly as `npm run schema` writes it', async () => {
    expect(await readFile(committed, 'utf8')).toBe(imageSetJsonSchemaText());
  });

  it('refuses unknown keys and checks image key names, so editors flag what the loader refuses', () => {
    const schema = imageSetJsonSchema() as {
      additionalProperties: boolean;
      required: string[];
      properties: { images: { propertyNames: { pattern: string } } };
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['images']);
    const keyRe = new RegExp(schema.properties.images.propertyNames.pattern, 'u');
    expect(['nova_api', 'ceph', 'kube_proxy2'].every((k) => keyRe.test(k))).toBe(true);
    expect(['Nova', 'nova-api', ''].some((k) => keyRe.test(k))).toBe(false);
  });
});
