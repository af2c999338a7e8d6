#!/usr/bin/env node
import v8 from 'node:v8';
import { Command, CommanderError } from 'commander';
import { toAirlockError } from '../errors.js';
import { copyCommand } from './copy-command.js';
import { diffCommand } from './diff-command.js';
import { EXIT_CODES_HELP, exitCodeFor, ExitCodes } from './exit-codes.js';
import { importCommand } from './import-command.js';
import { mirrorCommand } from './mirror-command.js';
import { renderCommand } from './render-command.js';
import { resolveCommand } from './resolve-command.js';

/** Builds the `airlock` command tree. */
export function buildProgram(): Command {
  const program = new Command('airlock')
    .description('Get container images into air-gapped clouds, pinned by digest, and prove what runs.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  program.addCommand(copyCommand().exitOverride());
  program.addCommand(mirrorCommand().exitOverride());
  program.addCommand(resolveCommand().exitOverride());
  program.addCommand(diffCommand().exitOverride());
  program.addCommand(importCommand().exitOverride());
  program.addCommand(renderCommand().exitOverride());
  return program;
}

/** Runs the CLI with `argv` and returns the exit code; errors are printed with their stable code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCodes.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage;
    }
    const e = toAirlockError(err);
    process.stderr.write(`airlock: error [${e.code}]: ${e.message}\n`);
    return exitCodeFor(e.code);
  }
}

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

main(process.argv).then((code) => {
  process.exitCode = code;
});
