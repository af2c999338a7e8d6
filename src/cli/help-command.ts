import { Command } from 'commander';
import { lazyAction } from './lazy.js';

/** The format topics, for the command list (their text loads only when asked for). */
const TOPICS = 'image-set, lock, bundle';

/** `airlock help [TOPIC|COMMAND...]`: commander's help for a command, or a format's reference. */
export function helpCommand(): Command {
  return new Command('help')
    .description(`Help for a command (airlock help bundle create), or a file format's reference: ${TOPICS}`)
    .argument('[topic...]', `a command, or a format: ${TOPICS}`)
    .action(lazyAction(() => import('./help-action.js')));
}
