import type { Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import { HELP_TOPICS } from './help-topics.js';

/** The format topics, one line each, as `airlock help` lists them. */
function topicList(): string {
  const width = Math.max(...Object.keys(HELP_TOPICS).map((t) => t.length));
  return `Formats (airlock help TOPIC):\n${Object.entries(HELP_TOPICS)
    .map(([name, t]) => `  ${name.padEnd(width)}  ${t.summary}`)
    .join('\n')}\n`;
}

/**
 * `airlock help`: the program's help and the format topics; `airlock help TOPIC`: the format's
 * reference; `airlock help COMMAND [SUBCOMMAND]`: that command's help. USAGE for anything else.
 */
export async function run(words: string[], _flags: unknown, cmd: Command): Promise<void> {
  const program = cmd.parent!;
  if (words.length === 0) {
    // outputHelp, not helpInformation: it adds the text commands append (exit codes, examples).
    program.outputHelp();
    process.stdout.write(`\n${topicList()}`);
    return;
  }
  const topic = words.length === 1 ? HELP_TOPICS[words[0]!] : undefined;
  if (topic) {
    const command = program.commands.find((c) => c.name() === words[0]);
    process.stdout.write(`${topic.text}\n${command ? `\n(the command: airlock ${words[0]} --help)\n` : ''}`);
    return;
  }
  let at: Command = program;
  for (const w of words) {
    const next = at.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!next) {
      throw new AirlockError(ErrorCodes.USAGE, `airlock help: no command or format "${words.join(' ')}"; formats: ${Object.keys(HELP_TOPICS).join(', ')}; commands: airlock --help`);
    }
    at = next;
  }
  at.outputHelp();
}
