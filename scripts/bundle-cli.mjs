/**
 * Bundles the CLI (dist/cli/main.js, replacing tsc's output of it, plus shared chunks in
 * dist/cli/chunks/). Loading a few bundled files instead of a few hundred modules roughly
 * halves the start-up time, which is most of a no-op mirror; splitting at each command's
 * lazily imported action means a command parses only the code it runs (`mirror LIST` never
 * parses zod, `--version` parses almost nothing). The library (dist/index.js) stays as tsc
 * emits it.
 */
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm('dist/cli/chunks', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  allowOverwrite: true,
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __airlockRequire } from 'node:module'; const require = __airlockRequire(import.meta.url);" },
});
