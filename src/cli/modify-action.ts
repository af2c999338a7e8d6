import { AirlockError, ErrorCodes } from '../errors.js';
import { parseOperation, type OperationKind } from '../modify/operations.js';
import { parseLocation } from '../transport/location.js';
import { pairCredentials, type CopyCommandFlags } from './copy-action.js';
import { contextOf, engineOptions } from './common-flags.js';
import { registryOptions } from './registry-flags.js';
import { runWithOutput } from './run-command.js';

/** Flags of `airlock modify`. */
export interface ModifyFlags extends CopyCommandFlags {
  operations?: { kind: OperationKind; value: string }[];
  tagSuffix?: string;
}

/** True when a destination text names a tag or digest itself (a parsed reference defaults to `latest`). */
function namesTag(text: string): boolean {
  const last = text.slice(text.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@');
}

/** `airlock modify SRC DST [operations...]`. */
export async function run(src: string, dst: string, flags: ModifyFlags): Promise<void> {
  const ops = (flags.operations ?? []).map((o) => parseOperation(o.kind, o.value));
  if (ops.length === 0) throw new AirlockError(ErrorCodes.USAGE, 'nothing to modify: give --append, --remove, --label, --env, --user, --workdir, --entrypoint, --cmd, --run, --rpms, --update or --containerfile');
  const source = parseLocation(src);
  let destination = parseLocation(dst);
  if (!namesTag(dst)) {
    if (source.tag === undefined || flags.tagSuffix === undefined) {
      throw new AirlockError(ErrorCodes.USAGE, `${dst} names no tag: give one, or --tag-suffix with a source that has a tag`);
    }
    destination = { ...destination, tag: `${source.tag}${flags.tagSuffix}` };
  } else if (flags.tagSuffix !== undefined) {
    throw new AirlockError(ErrorCodes.USAGE, '--tag-suffix is for a DST without a tag');
  }
  process.exitCode = await runWithOutput({
    pairs: [{ source, destination, modify: ops }],
    ctx: contextOf(flags, registryOptions(flags, pairCredentials(source, destination, flags))),
    options: { ...engineOptions(flags), jobs: 1 },
    ...(flags.json ? { json: true } : {}),
    ...(flags.report ? { reportFile: flags.report } : {}),
  });
}
