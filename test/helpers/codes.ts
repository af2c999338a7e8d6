import { AirlockError } from '../../src/errors.js';

/** The stable code `fn` throws, 'not-an-airlock-error' for anything else, undefined when it does not throw. */
export function errorCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AirlockError ? e.code : 'not-an-airlock-error';
  }
  return undefined;
}

/** The AirlockError `fn` throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): AirlockError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AirlockError) return e;
    throw e;
  }
  throw new Error('expected an AirlockError');
}
