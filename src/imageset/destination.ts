import { AirlockError, ErrorCodes } from '../errors.js';
import type { ImageReference } from '../ref/reference.js';
import { placeImage, shortLocation } from '../transport/location.js';
import { parseRegistryNamespace } from '../transport/registry/transport.js';

/**
 * Where `push_destination` (`REGISTRY[/PREFIX]`) puts the image `ref`: the source path kept
 * under the prefix, the tag kept; a digest-only source keeps its digest so the destination
 * is not read back as `:latest`. IMAGESET_INVALID (naming `key`) for a bad destination.
 */
export function destinationOf(ref: ImageReference, pushDestination: string, key: string): string {
  let target;
  try {
    target = parseRegistryNamespace(pushDestination);
  } catch (err) {
    throw new AirlockError(ErrorCodes.IMAGESET_INVALID, `${key}: push_destination "${pushDestination}" is not REGISTRY[/PREFIX]`, { key }, { cause: err });
  }
  return shortLocation(placeImage(target, ref.tag ? { registry: ref.registry, repository: ref.repository, tag: ref.tag } : ref));
}
