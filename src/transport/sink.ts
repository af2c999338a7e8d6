import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { verifyBytes } from '../oci/digest.js';
import type { ContentWriter, Location, ReuseResult, Sink, SinkCapabilities } from './types.js';

/**
 * The write side of one image location over any backend's writer: the copy engine's Sink
 * for every transport. It enforces the contract's order (no commit before the root
 * manifest, nothing after close) so backends need not.
 */
export class ImageSink implements Sink {
  readonly blobScope: string;
  readonly repository: string;
  readonly capabilities: SinkCapabilities;
  private rootStored = false;
  private closed = false;

  constructor(
    private readonly writer: ContentWriter,
    readonly location: Location,
    readonly description: string,
  ) {
    this.blobScope = writer.blobScope;
    this.repository = location.repository;
    this.capabilities = writer.capabilities;
  }

  /** The descriptor now at the destination's tag (or digest), or null. */
  async current(): Promise<Descriptor | null> {
    const reference = this.location.tag ?? this.location.digest;
    if (reference === undefined) return null;
    return this.writer.headManifest(this.repository, reference);
  }

  async hasManifest(desc: Descriptor): Promise<boolean> {
    return (await this.writer.headManifest(this.repository, desc.digest)) !== null;
  }

  /** 'exists' when stored with the expected size, 'mounted' when a mount from `fromRepository` worked, else null. */
  async tryReuse(desc: Descriptor, fromRepository?: string): Promise<ReuseResult> {
    if ((await this.writer.headBlob(this.repository, desc.digest)) === desc.size) return 'exists';
    if (fromRepository && fromRepository !== this.repository && this.capabilities.crossRepoMount) {
      if (await this.writer.mountBlob(this.repository, desc.digest, fromRepository)) return 'mounted';
    }
    return null;
  }

  async putBlob(desc: Descriptor, data: Readable): Promise<void> {
    this.assertOpen();
    await this.writer.putBlob(this.repository, desc, data);
  }

  /**
   * Checks the bytes against `desc`, then stores them: children by digest, the root under
   * the destination's tag (by digest when it has none).
   */
  async putManifest(bytes: Buffer, desc: Descriptor, root: boolean): Promise<void> {
    this.assertOpen();
    verifyBytes(bytes, desc.digest, desc.size, `manifest ${desc.digest}`);
    const reference = root ? (this.location.tag ?? desc.digest) : desc.digest;
    await this.writer.putManifest(this.repository, reference, bytes, desc, { child: !root });
    if (root) this.rootStored = true;
  }

  async commit(): Promise<void> {
    this.assertOpen();
    if (!this.rootStored) throw new AirlockError(ErrorCodes.INTERNAL, `${this.description}: commit before the root manifest was stored`);
    await this.writer.commit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new AirlockError(ErrorCodes.INTERNAL, `${this.description} is closed`);
  }
}
