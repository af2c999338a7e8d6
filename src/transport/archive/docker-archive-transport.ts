import * as path from 'node:path';
import { parseReference, repositoryName } from '../../ref/reference.js';
import type { TransportContext } from '../context.js';
import type { Location, Transport } from '../types.js';
import { DockerArchive, DockerArchiveReader, INDEX_REF } from './docker-archive-reader.js';
import { DockerArchiveWriter } from './docker-archive-writer.js';
import { placeByFullName } from '../layout/names.js';
import { locationParts } from '../layout/oci-transport.js';
import { locationInvalid as fail } from '../location-error.js';


/** The REF part of a location: `repository:tag[@digest]`, `repository@digest`, `@N`, or '' for none. */
function refText(loc: Pick<Location, 'repository' | 'tag' | 'digest'>): string {
  if (loc.repository === '') return loc.tag ?? '';
  return `${loc.repository}${loc.tag !== undefined ? `:${loc.tag}` : ''}${loc.digest !== undefined ? `@${loc.digest}` : ''}`;
}

function format(loc: Location): string {
  const ref = refText(loc);
  return `docker-archive:${loc.root}${ref ? `:${ref}` : ''}`;
}

function describeIn(file: string) {
  return (repository: string, reference?: string) => format({ scheme: 'docker-archive', root: file, ...locationParts(repository, reference) });
}


/** The run's shared, indexed handle on the archive at `file` (layer digests computed once per run). */
function sharedArchive(ctx: TransportContext, file: string): Promise<DockerArchive> {
  const key = `docker-archive:${path.resolve(file)}`;
  return ctx.sharedOpen(key, () => DockerArchive.open(file));
}

/**
 * Docker archives, as `docker save` and `skopeo copy ... docker-archive:` write them:
 * `docker-archive:FILE[:REF]`, as skopeo spells it. Read in place: without REF the archive's
 * only image, `REF` (`repo:tag`, normalised as Docker does) by its RepoTags, `@N` by its place
 * in manifest.json. Written as one image per archive, named REF (see DockerArchiveWriter).
 */
export const dockerArchiveTransport: Transport = {
  scheme: 'docker-archive',
  prefix: 'docker-archive:',
  syntax: 'docker-archive:FILE[:REF|:@N]',
  parse(body, input) {
    const colon = body.indexOf(':');
    const file = colon >= 0 ? body.slice(0, colon) : body;
    const ref = colon >= 0 ? body.slice(colon + 1) : undefined;
    if (file === '') throw fail(input, 'docker-archive: needs a file');
    if (ref === undefined) return { scheme: 'docker-archive', root: file, repository: '' };
    if (ref === '') throw fail(input, 'empty image reference after the file');
    if (ref.startsWith('@')) {
      if (!INDEX_REF.test(ref)) throw fail(input, `"${ref}" is not an image index (@0, @1, ...)`);
      return { scheme: 'docker-archive', root: file, repository: '', tag: ref };
    }
    const parsed = parseReference(ref);
    return {
      scheme: 'docker-archive',
      root: file,
      repository: repositoryName(parsed),
      ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
      ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}),
    };
  },
  parseNamespace(body, input) {
    const loc = dockerArchiveTransport.parse(body, input);
    if (refText(loc)) throw fail(input, 'give the file only (docker-archive:FILE): images are found by their RepoTags inside it');
    return loc;
  },
  format,
  place: placeByFullName,
  checkImage: () => undefined,
  async openReader(loc, ctx) {
    return new DockerArchiveReader(await sharedArchive(ctx, loc.root), describeIn(loc.root));
  },
  /** One write session per file and run: a second image would replace the first. */
  async openWriter(loc, ctx) {
    const where = format(loc);
    if (loc.repository === '' && loc.tag !== undefined) throw fail(where, '@N selects an image to read; name the image to write as REPO:TAG');
    const sessions = ctx.shared(`docker-archive:written:${path.resolve(loc.root)}`, () => ({ count: 0 }));
    if (sessions.count++ > 0) throw fail(where, `a docker-archive holds one image, and ${loc.root} is already written by this run`);
    return new DockerArchiveWriter(loc.root, describeIn(loc.root));
  },
};
