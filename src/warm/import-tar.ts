/**
 * The tar `ctr images import` reads to name images whose content containerd already holds:
 * an OCI layout of two files, `oci-layout` and `index.json` (last, so a stream cut short
 * names nothing), each image under both `io.containerd.image.name` (the name containerd
 * gives it) and `org.opencontainers.image.ref.name`. No blobs: they were streamed in, and
 * verified by containerd, before.
 */
import { packTar } from '../transport/archive/tar-pack.js';
import { Annotations, type Descriptor } from '../oci/descriptor.js';
import { MediaTypes } from '../oci/mediatypes.js';
import { IMAGE_LAYOUT_VERSION, OCI_LAYOUT_FILE } from '../transport/layout/layout.js';

const HEADER = { mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0), type: 'file' as const };

/** index.json naming each image by its root descriptor. */
export function namingIndex(images: readonly { name: string; root: Descriptor }[]): Buffer {
  const manifests = images.map((i) => ({
    mediaType: i.root.mediaType,
    digest: i.root.digest,
    size: i.root.size,
    annotations: { [Annotations.containerdName]: i.name, [Annotations.refName]: i.name },
  }));
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }));
}

/** The whole tar, in memory (two small files). */
export async function namingTar(images: readonly { name: string; root: Descriptor }[]): Promise<Buffer> {
  const files: [string, Buffer][] = [
    [OCI_LAYOUT_FILE, Buffer.from(JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }))],
    ['index.json', namingIndex(images)],
  ];
  return packTar(files.map(([name, bytes]) => ({ header: { ...HEADER, name, size: bytes.length }, content: bytes })));
}
