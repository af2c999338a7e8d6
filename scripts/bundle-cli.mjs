/**
 * Bundles the CLI into one file (dist/cli/main.js, replacing tsc's output of it). Loading
 * one file instead of a few hundred modules roughly halves the start-up time, which is most
 * of a no-op mirror. The library (dist/index.js) stays as tsc emits it.
 */
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.js',
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
