import { createHash } from 'node:crypto';

/**
 * xorshift128 seeded from a string: the same seed always yields the same byte stream.
 * Not cryptographic; it only has to be deterministic, fast and incompressible.
 */
export class Prng {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.x = h.readUInt32LE(0) | 1; // an all-zero state would stay zero
    this.y = h.readUInt32LE(4);
    this.z = h.readUInt32LE(8);
    this.w = h.readUInt32LE(12);
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }

  /** Fills `buf` with the next bytes of the stream and returns it. */
  fill(buf: Buffer): Buffer {
    const words = buf.length >>> 2;
    // Aligned fast path: write whole words through a Uint32Array view when possible.
    if (buf.byteOffset % 4 === 0) {
      const view = new Uint32Array(buf.buffer, buf.byteOffset, words);
      let { x, y, z, w } = this;
      for (let i = 0; i < words; i++) {
        const t = x ^ (x << 11);
        x = y;
        y = z;
        z = w;
        w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
        view[i] = w;
      }
      this.x = x;
      this.y = y;
      this.z = z;
      this.w = w;
    } else {
      for (let i = 0; i < words; i++) buf.writeUInt32LE(this.next(), i * 4);
    }
    for (let i = words * 4; i < buf.length; i++) buf[i] = this.next() & 0xff;
    return buf;
  }

  /** `n` fresh bytes. */
  bytes(n: number): Buffer {
    return this.fill(Buffer.allocUnsafe(n));
  }
}
