import { Argument, Command } from 'commander';
import { lazyAction } from './lazy.js';

/** `airlock completion bash|zsh`: a shell completion script made from the command tree. */
export function completionCommand(): Command {
  return new Command('completion')
    .description('Print a shell completion script made from airlock\'s own commands and options: source <(airlock completion bash), or zsh after compinit.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action(lazyAction(() => import('./completion-action.js')));
}
