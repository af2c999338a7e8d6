import { AirlockError, ErrorCodes } from '../errors.js';

/** How long a command may take to wind down after Ctrl-C or SIGTERM before the process exits anyway. */
export const INTERRUPT_GRACE_MS = 1000;

let controller: AbortController | undefined;

/**
 * The process's interrupt signal: aborted (with an INTERRUPTED error) on the first SIGINT or
 * SIGTERM, which every command passes to its work so requests and retry waits stop at once.
 * Whatever has not wound down after INTERRUPT_GRACE_MS is cut short: the process exits 130.
 */
export function interruptSignal(): AbortSignal {
  if (controller) return controller.signal;
  const c = new AbortController();
  controller = c;
  const onSignal = (name: string) => {
    if (c.signal.aborted) process.exit(130);
    c.abort(new AirlockError(ErrorCodes.INTERRUPTED, `interrupted (${name})`));
    setTimeout(() => process.exit(130), INTERRUPT_GRACE_MS).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return c.signal;
}
