import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { ImageReference } from '../../ref/reference.js';
import type { ReuseResult, Sink, SinkCapabilities } from '../types.js';
import { OciLayout, withoutRefAnnotations } from './layout.js';
import { defaultStoreDir, storeName } from './store.js';

export interface LayoutSinkOptions {
  /** Printable name; defaults to `oci:DIR[:NAME]`. */
  description?: string;
}

/**
 * Writes one image into an OCI layout. Blobs and manifests are stored verified as they
 * come; index.json changes only in `commit`, which names the root manifest `name`
 * (or adds it unnamed when there is no name). Closing without commit leaves index.json
 * as it was; verified blobs may remain, which is harmless since they are content-addressed.
 */
export class LayoutSink implements Sink {
  readonly description: string;
  readonly blobScope: string;
  readonly capabilities: SinkCapabilities = { crossRepoMount: false };
  private root: Descriptor | undefined;
  private closed = false;

  constructor(
    readonly layout: OciLayout,
    readonly name?: string,
    options: LayoutSinkOptions = {},
  ) {
    this.description = options.description ?? `oci:${layout.dir}${name !== undefined ? `:${name}` : ''}`;
    this.blobScope = `layout:${layout.dir}`;
  }

  /** The descriptor now at `name` (naming annotations removed), or null. */
  async current(): Promise<Descriptor | null> {
    if (this.name === undefined) return null;
    const found = await this.layout.findRef(this.name);
    return found ? withoutRefAnnotations(found) : null;
  }

  async hasManifest(desc: Descriptor): Promise<boolean> {
    return (await this.layout.hasBlob(desc.digest)) === desc.size;
  }

  /** 'exists' when the blob is stored with the expected size; a layout cannot mount. */
  async tryReuse(desc: Descriptor): Promise<ReuseResult> {
    return (await this.layout.hasBlob(desc.digest)) === desc.size ? 'exists' : null;
  }

  async putBlob(desc: Descriptor, data: Readable): Promise<void> {
    this.assertOpen();
    await this.layout.writeBlob(desc, data);
  }

  async putManifest(bytes: Buffer, desc: Descriptor, root: boolean): Promise<void> {
    this.assertOpen();
    await this.layout.writeBytes(desc, bytes);
    if (root) this.root = desc;
  }

  /** Names the root manifest in index.json (atomic, under the layout lock). */
  async commit(): Promise<void> {
    this.assertOpen();
    const root = this.root;
    if (!root) throw new AirlockError(ErrorCodes.INTERNAL, `${this.description}: commit before the root manifest was stored`);
    if ((await this.layout.hasBlob(root.digest)) !== root.size) {
      throw new AirlockError(ErrorCodes.LAYOUT_INVALID, `${this.description}: root manifest ${root.digest} vanished before commit`, {
        digest: root.digest,
      });
    }
    const entry: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.size };
    if (this.name !== undefined) await this.layout.setRef(this.name, entry);
    else await this.layout.addUnnamed(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new AirlockError(ErrorCodes.INTERNAL, `${this.description} is closed`);
  }
}

/** A sink for `oci:DIR[:NAME]`, creating the layout when missing. */
export async function openOciSink(dir: string, name?: string): Promise<LayoutSink> {
  const layout = await OciLayout.open(dir, { create: true });
  return new LayoutSink(layout, name, { description: `oci:${dir}${name !== undefined ? `:${name}` : ''}` });
}

/** A sink for `store:REF` (the store at `storeDir`, default `defaultStoreDir()`), creating the store when missing. */
export async function openStoreSink(ref: ImageReference, storeDir = defaultStoreDir()): Promise<LayoutSink> {
  const name = storeName(ref);
  const layout = await OciLayout.open(storeDir, { create: true });
  return new LayoutSink(layout, name, { description: `store:${name}` });
}
