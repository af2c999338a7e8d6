import { openBundle } from '../bundle/open.js';
import { imageContent } from '../store/content.js';
import { formatBytes } from './format.js';
import { SELF_DIR } from '../bundle/self.js';

/** `airlock bundle ls BUNDLE`: one line per image, then what the bundle carries. */
export async function run(file: string, flags: { json?: boolean }): Promise<void> {
  const b = await openBundle(file);
  const images = [];
  for (const r of await b.layout.listRefs()) {
    const c = await imageContent(b.layout, r.descriptor);
    const missing = c.missing.filter((d) => !b.assumed?.blobs[d]);
    const assumed = c.missing.length - missing.length;
    images.push({ name: r.name, digest: r.descriptor.digest, platforms: c.platforms, bytes: [...c.blobs.values()].reduce((x, y) => x + y, 0), missing, assumed });
  }
  const blobs = [...b.layout.tar.entries.values()].filter((e) => e.name.startsWith('blobs/'));
  const self = [...b.layout.tar.entries.values()].filter((e) => e.name.startsWith(SELF_DIR)).map((e) => ({ entry: e.name, size: e.size }));
  const blobBytes = blobs.reduce((n, e) => n + e.size, 0);
  const lockKeys = b.lock ? Object.keys(b.lock.images).length : 0;
  const assumed = b.assumed ? Object.values(b.assumed.blobs) : [];
  const held = Object.keys(b.assumed?.images ?? {}).sort();
  const differential = b.assumed ? { against: b.assumed.against, blobs: assumed.length, bytes: assumed.reduce((n, x) => n + x.size, 0), images: held } : null;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ bundle: file, images, blobs: blobs.length, blobBytes, lock: b.lock ? { images: lockKeys } : null, checksums: Boolean(b.checksums), differential, self }, null, 2)}\n`);
    return;
  }
  const lines = images.map((i) => `${i.name}  ${i.digest.slice(0, 19)}  ${i.platforms.join(',') || '-'}  ${formatBytes(i.bytes)}${i.assumed ? `  (${i.assumed} blob(s) on the target already)` : ''}${i.missing.length ? `  MISSING ${i.missing.length} blob(s)` : ''}`);
  lines.push(
    `${images.length} images, ${blobs.length} blobs (${formatBytes(blobBytes)}); ${b.lock ? `lock of ${lockKeys} images` : 'no lock'}, ${b.checksums ? 'checksum list' : 'no checksum list'}`,
  );
  for (const x of self) lines.push(`carries airlock: ${x.entry} (${formatBytes(x.size)}); airlock bundle extract-self writes it out`);
  if (differential) {
    lines.push(
      `differential: ${differential.blobs} blobs (${formatBytes(differential.bytes)}) and ${held.length} whole images left out, assumed on ${differential.against.kind} ${differential.against.location}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
