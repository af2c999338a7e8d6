import { AirlockError, ErrorCodes } from '../errors.js';
import { planImageSet } from '../imageset/rules.js';
import type { ImageSet, ParamValue } from '../imageset/types.js';
import type { LockFile } from '../lock/types.js';
import { ruleNames } from './image.js';
import { resolvePlan, type ResolveOptions } from './resolver.js';

/** Options of `resolveImageSet`. */
export interface ResolveImageSetOptions extends Omit<ResolveOptions, 'rules'> {
  /** Parameters that win over the set's and every rule's (`--set name=value`). */
  overrides?: Record<string, ParamValue>;
  /** Resolve only the image with this key (USAGE when the set has no such image switched on). */
  only?: string;
}

/** Plans an image set (rules, parameters, switches) and resolves every image (or `only`) into a lock. */
export function resolveImageSet(set: ImageSet, opts: ResolveImageSetOptions): Promise<LockFile> {
  let planned = planImageSet(set, opts.overrides ?? {});
  if (opts.only !== undefined) {
    const only = opts.only;
    planned = planned.filter((p) => p.key === only);
    if (planned.length === 0) {
      const why = only in set.images ? 'is switched off' : 'is not a key of the image set';
      throw new AirlockError(ErrorCodes.USAGE, `--only "${only}" ${why}`, { key: only });
    }
  }
  return resolvePlan(planned, { ...opts, rules: ruleNames(set) });
}

export { withImageSetCredentials } from './credentials.js';
