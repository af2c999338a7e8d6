/** Reading small request bodies whole, bounded. */
import type { IncomingMessage } from 'node:http';

/** Reads a request body of at most `max` bytes; undefined when it is larger (the rest is not read). */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
