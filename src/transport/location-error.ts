import { AirlockError, ErrorCodes } from '../errors.js';

/** LOCATION_INVALID for the location text `input`, saying why. */
export function locationInvalid(input: string, why: string): AirlockError {
  return new AirlockError(ErrorCodes.LOCATION_INVALID, `invalid location "${input}": ${why}`, { location: input });
}
