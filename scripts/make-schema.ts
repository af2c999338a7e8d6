/**
 * Writes schema/images.schema.json from the zod schema of images.yaml (`npm run schema`).
 * A test fails when the committed file differs from what this would write.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageSetJsonSchemaText } from '../src/imageset/json-schema.js';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const out = join(root, 'schema', 'images.schema.json');
await mkdir(join(root, 'schema'), { recursive: true });
await writeFile(out, imageSetJsonSchemaText());
console.log(`wrote ${out}`);
