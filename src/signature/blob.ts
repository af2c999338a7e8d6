/** Reading a signature's small blobs (payloads, bundles) whole, checked. */
import type { Descriptor } from '../oci/descriptor.js';
import { verifyBytes } from '../oci/digest.js';
import type { ContentReader } from '../transport/types.js';

/**
 * The blob `d` of `repository`, read whole and checked against its digest and size; a
 * stream longer than the descriptor says is cut off there (the size check then fails), so a
 * lying registry cannot make it hold more. DIGEST_MISMATCH / SIZE_MISMATCH otherwise.
 */
export async function readSignatureBlob(reader: Pick<ContentReader, 'getBlob'>, repository: string, d: Descriptor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of await reader.getBlob(repository, d.digest)) {
    size += (c as Buffer).length;
    if (size > d.size) break;
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  verifyBytes(bytes, d.digest, d.size, `signature blob ${d.digest}`);
  return bytes;
}
