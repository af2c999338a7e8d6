/**
 * Archives another tool wrote (`skopeo copy ... oci-archive:` or `docker-archive:`,
 * `docker save`) carry no lock: their images are imported under the names they carry
 * (`repo:tag`, placed under the destination as `mirror` places a reference).
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { MirrorPair } from '../mirror/plan.js';
import { parseReference } from '../ref/reference.js';
import type { TransportContext } from '../transport/context.js';
import { parseNamespace, placeImage } from '../transport/location.js';
import { openReader } from '../transport/open.js';
import type { Location } from '../transport/types.js';

/**
 * One pair per image `scheme:FILE` names (`only`: names containing it). USAGE for an image
 * named by a bare tag (no repository to place it under): copy that one with airlock copy.
 */
export async function foreignPairs(scheme: 'oci-archive' | 'docker-archive', file: string, to: Location, ctx: TransportContext, only?: string): Promise<MirrorPair[]> {
  const reader = await openReader(parseNamespace(`${scheme}:${file}`), ctx);
  const pairs: MirrorPair[] = [];
  try {
    for (const repository of (await reader.listRepositories()).sort()) {
      for (const tag of (await reader.listTags(repository)).sort()) {
        const name = repository ? `${repository}:${tag}` : tag;
        if (only !== undefined && !name.includes(only)) continue;
        if (!repository) {
          throw new AirlockError(ErrorCodes.USAGE, `${file}: image "${tag}" has no repository in its name, so it has no place under ${to.root}${to.repository ? `/${to.repository}` : ''}: copy it with airlock copy ${scheme}:${file}:${tag} DEST`, { file, image: tag });
        }
        pairs.push({ source: { scheme, root: file, repository, tag }, destination: placeImage(to, parseReference(name)) });
      }
    }
  } finally {
    await reader.close();
  }
  if (pairs.length === 0) throw new AirlockError(ErrorCodes.USAGE, `${file}: no named image${only !== undefined ? ` matching "${only}"` : ''} to import`, { file });
  return pairs;
}
