/** Small tars made whole in memory with tar-stream (a layer of a few files, a naming index). */
import tar, { type Header } from 'tar-stream';

/** The tar of `entries`, in the order given (the caller sorts when order matters). */
export async function packTar(entries: readonly { header: Partial<Header> & { name: string }; content: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) pack.entry(e.header, e.content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
