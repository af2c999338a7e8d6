/**
 * Following the symbolic links a docker-archive tar holds (indexed with
 * `{ symlinks: 'record' }`), inside the archive only. Kept apart from the indexer: bundles
 * never have links, so only docker-archive reading needs this.
 */
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import { linkTargetName, safeEntryName, type LinkedTarIndex, type TarEntry } from './tar-index.js';

/** Links followed at most from one name: real archives use one or two; more is a loop or an attack. */
const MAX_HOPS = 16;

function invalid(file: string, message: string, entry: string): AirlockError {
  return new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${message}`, { file, entry });
}

/**
 * The regular file `name` stands for, following symbolic links inside the archive, and
 * every name passed on the way (the first is `name` made plain). Undefined when nothing is
 * there; ARCHIVE_INVALID for a link that leaves the archive, dangles or loops.
 */
export function resolveEntry(tar: LinkedTarIndex, name: string): { entry: TarEntry; names: string[] } | undefined {
  let current = safeEntryName(name, tar.file);
  const names = [current];
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const entry = tar.entries.get(current);
    if (entry) return { entry, names };
    const target = tar.links.get(current);
    if (target === undefined) {
      if (hop === 0) return undefined;
      throw invalid(tar.file, `link ${JSON.stringify(clip(names[0]!, 120))} points at ${JSON.stringify(clip(current, 120))}, which is not in the archive`, names[0]!);
    }
    current = linkTargetName(tar.file, current, target);
    names.push(current);
  }
  throw invalid(tar.file, `link ${JSON.stringify(clip(names[0]!, 120))}: more than ${MAX_HOPS} links in a row (a loop?)`, names[0]!);
}
