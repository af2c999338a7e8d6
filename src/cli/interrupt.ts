import { setMaxListeners } from 'node:events';
import { AirlockError, ErrorCodes } from '../errors.js';

/** How long a command may take to wind down after Ctrl-C or SIGTERM before the process exits anyway. */
export const INTERRUPT_GRACE_MS = 1000;

let controller: AbortController | undefined;

/** The exit code of a process ended by a signal, as shells report it: 128 + the signal's number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** The exit code for an interruption (`reason` is the abort reason): 130 for Ctrl-C, 143 for SIGTERM. */
export function interruptExitCode(reason: unknown): number {
  const signal = (reason as { details?: { signal?: unknown } } | undefined)?.details?.signal;
  return signal === 'SIGTERM' ? SIGNAL_EXIT.SIGTERM : SIGNAL_EXIT.SIGINT;
}

/**
 * The process's interrupt signal: aborted (with an INTERRUPTED error) on the first SIGINT or
 * SIGTERM, which every command passes to its work so requests and retry waits stop at once.
 * Whatever has not wound down after INTERRUPT_GRACE_MS is cut short: the process exits 130.
 */
export function interruptSignal(): AbortSignal {
  if (controller) return controller.signal;
  const c = new AbortController();
  // Every request in flight listens on the one signal (16 resolves at once, blob jobs): no
  // leak to warn about, so Node's default limit of 10 would only print a false warning.
  setMaxListeners(0, c.signal);
  controller = c;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    const code = SIGNAL_EXIT[name];
    if (c.signal.aborted) process.exit(code);
    c.abort(new AirlockError(ErrorCodes.INTERRUPTED, `interrupted (${name})`, { signal: name }));
    setTimeout(() => process.exit(code), INTERRUPT_GRACE_MS).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return c.signal;
}

/**
 * Runs synchronous `fn` with the signals' default action: a long synchronous step (parsing a
 * large file, evaluating thousands of templates) blocks the event loop, so no handler could
 * run before it ends; without handlers, Ctrl-C or SIGTERM ends the process at once (the shell
 * reports 130 or 143). Only for steps that hold nothing to clean up. The handlers are back
 * when `fn` returns or throws; a signal that came in just before is still handled then.
 */
export function blockingSection<T>(fn: () => T): T {
  const saved = (['SIGINT', 'SIGTERM'] as const).map((name) => [name, process.listeners(name)] as const);
  for (const [name] of saved) process.removeAllListeners(name);
  try {
    return fn();
  } finally {
    for (const [name, listeners] of saved) for (const l of listeners) process.on(name, l);
  }
}
