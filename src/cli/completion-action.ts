import type { Command } from 'commander';
import { bashCompletion, completionTree, zshCompletion } from './completion.js';
import { HELP_TOPICS } from './help-topics.js';

/** `airlock completion SHELL`: the script for the program this command belongs to. */
export async function run(shell: 'bash' | 'zsh', _flags: unknown, cmd: Command): Promise<void> {
  const program = cmd.parent!;
  // `airlock help` takes a format topic or a command name.
  const help = [...Object.keys(HELP_TOPICS), ...program.commands.map((c) => c.name()).filter((n) => n !== 'help')];
  const nodes = completionTree(program, { help });
  process.stdout.write(shell === 'bash' ? bashCompletion(nodes) : zshCompletion(nodes));
}
