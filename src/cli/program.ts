import { Command, CommanderError } from 'commander';
import { clip, ErrorCodes, toAirlockError } from '../errors.js';
import { interruptExitCode } from './interrupt.js';
import { bundleCommand } from './bundle-command.js';
import { inventoryCommand } from './inventory-command.js';
import { serveCommand } from './serve-command.js';
import { gcCommand } from './gc-command.js';
import { backupCommand, restoreCommand } from './backup-command.js';
import { copyCommand } from './copy-command.js';
import { modifyCommand } from './modify-command.js';
import { verifyCommand } from './verify-command.js';
import { auditCommand } from './audit-command.js';
import { diffCommand } from './diff-command.js';
import { EXIT_CODES_HELP, exitCodeFor, ExitCodes } from './exit-codes.js';
import { importCommand } from './import-command.js';
import { mirrorCommand } from './mirror-command.js';
import { planCommand } from './plan-command.js';
import { pullCommand } from './pull-command.js';
import { renderCommand } from './render-command.js';
import { resolveCommand } from './resolve-command.js';
import { storeCommand } from './store-command.js';
import { warmCommand } from './warm-command.js';
import { completionCommand } from './completion-command.js';
import { helpCommand } from './help-command.js';

/** Builds the `airlock` command tree. */
export function buildProgram(): Command {
  const program = new Command('airlock')
    .description('Get container images into air-gapped clouds, pinned by digest, and prove what runs.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  program.addCommand(copyCommand().exitOverride());
  program.addCommand(modifyCommand().exitOverride());
  program.addCommand(verifyCommand().exitOverride());
  program.addCommand(mirrorCommand().exitOverride());
  program.addCommand(pullCommand().exitOverride());
  program.addCommand(storeCommand().exitOverride());
  program.addCommand(bundleCommand().exitOverride());
  program.addCommand(inventoryCommand().exitOverride());
  program.addCommand(serveCommand().exitOverride());
  program.addCommand(gcCommand().exitOverride());
  program.addCommand(backupCommand().exitOverride());
  program.addCommand(restoreCommand().exitOverride());
  program.addCommand(warmCommand().exitOverride());
  program.addCommand(auditCommand().exitOverride());
  program.addCommand(planCommand().exitOverride());
  program.addCommand(resolveCommand().exitOverride());
  program.addCommand(diffCommand().exitOverride());
  program.addCommand(importCommand().exitOverride());
  program.addCommand(renderCommand().exitOverride());
  program.addCommand(completionCommand().exitOverride());
  // Our own help command: it also knows the file formats (airlock help lock).
  program.helpCommand(false).addCommand(helpCommand().exitOverride());
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
    // Messages list every problem, but never without bound.
    process.stderr.write(`airlock: error [${e.code}]: ${clip(e.message, 64 * 1024)}\n`);
    return e.code === ErrorCodes.INTERRUPTED ? interruptExitCode(e) : exitCodeFor(e.code);
  }
}

