/**
 * Which Heat parameter each image of a lock is written to for TripleO. An image that
 * `airlock import tripleo` found carries its own parameters (`ContainerHAProxyImage` and
 * `ContainerHAProxyConfigImage`, `PrometheusContainerImage`); any other image gets
 * `Container<CamelKey>Image`.
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { ImportedFrom } from '../imageset/types.js';
import type { LockFile } from '../lock/types.js';
import { camelName } from './names.js';

/** The Heat parameters of one image, in the order its source lists them. */
export function heatParameters(key: string, imported: ImportedFrom | undefined): string[] {
  if (imported?.tool === 'tripleo' && imported.parameters) return [...imported.parameters];
  const name = `Container${camelName(key)}Image`;
  if (name === 'ContainerImage') throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `tripleo: key "${key}" has no letters or digits`, { key });
  return [name];
}

/** Where one image's claim on a parameter comes from. */
interface Claim {
  key: string;
  imported: ImportedFrom | undefined;
}

/** True when both claims come from one TripleO image list at different lines, where its order decides. */
function sameList(a: Claim, b: Claim): boolean {
  const x = a.imported;
  const y = b.imported;
  return x?.tool === 'tripleo' && y?.tool === 'tripleo' && x.file === y.file && x.line !== undefined && y.line !== undefined && x.line !== y.line;
}

const at = (c: Claim) => `${c.key} (${c.imported?.file}:${c.imported?.line})`;

/** Each parameter's image, and warnings for the clashes TripleO's own order settled. */
export interface ParameterOwners {
  owner: Map<string, string>;
  warnings: string[];
}

/**
 * Assigns every parameter of the given images (`keys`, in order) to one image. Two images of
 * one image list claiming a parameter (tripleo-common's list gives ironic-neutron-agent and
 * neutron-server-ovn both ContainerNeutronConfigImage) are settled as TripleO settles them:
 * the later entry of the list wins, with a warning. Any other two images claiming one
 * parameter is RENDER_UNSUPPORTED naming both.
 */
export function parameterOwners(lock: LockFile, keys: readonly string[]): ParameterOwners {
  const claims = new Map<string, Claim>();
  const warnings: string[] = [];
  for (const key of keys) {
    const imported = lock.images[key]?.origin.imported;
    for (const parameter of heatParameters(key, imported)) {
      const mine: Claim = { key, imported };
      const other = claims.get(parameter);
      if (!other || other.key === key) {
        claims.set(parameter, mine);
        continue;
      }
      if (!sameList(other, mine)) {
        throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `tripleo: images "${other.key}" and "${key}" both set ${parameter}`, {
          keys: [other.key, key],
          name: parameter,
        });
      }
      const later = other.imported!.line! > mine.imported!.line! ? other : mine;
      const earlier = later === mine ? other : mine;
      warnings.push(`${parameter}: both ${at(earlier)} and ${at(later)} set it; as in TripleO, the later entry of the list wins: ${later.key}`);
      claims.set(parameter, later);
    }
  }
  return { owner: new Map([...claims].map(([p, c]) => [p, c.key])), warnings };
}
