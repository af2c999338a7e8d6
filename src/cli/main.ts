#!/usr/bin/env node
import module from 'node:module';
import v8 from 'node:v8';

// Node 22.1+ keeps compiled code between runs: a later start skips most of the parsing.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// undici parses HTTP with a WebAssembly module. By default V8 re-compiles it with TurboFan in
// the background and the process then waits ~0.2 s at exit for that to finish; the baseline
// (Liftoff) code is fast enough for response headers and length-delimited bodies.
v8.setFlagsFromString('--liftoff-only');

// `airlock ... | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Everything else loads after the compile cache is on; each command then loads only what it needs.
// A promise chain, not top-level await: the single executable (npm run dist) runs this file
// bundled as CommonJS, which has none.
void import('./program.js').then(async ({ main }) => {
  process.exitCode = await main(process.argv);
});
