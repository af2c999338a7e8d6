/**
 * containerd through its own client, `ctr`: what a namespace holds (images, content, what is
 * unpacked), blobs streamed in with the digest and size containerd checks before it commits,
 * labels, and `images import` of a tar that only names images. Every call is one `ctr`
 * process; an aborted call kills it (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError, clip, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, isDigest, type Digest } from '../oci/digest.js';

/** How long the socket may take to accept a connection before it counts as unreachable. */
const PROBE_TIMEOUT_MS = 3000;
/** After SIGTERM, how long an aborted ctr has before SIGKILL. */
const KILL_GRACE_MS = 300;

/** Where containerd is and how to reach it. */
export interface CtrOptions {
  /** The gRPC socket (`/run/containerd/containerd.sock`). */
  socket: string;
  /** The containerd namespace (`k8s.io` is the kubelet's). */
  namespace: string;
  /** The ctr binary (default `ctr`, from PATH). */
  bin?: string;
  /** Stops every running ctr (killed) and every later call. */
  signal?: AbortSignal;
}

function failed(message: string, details: Record<string, unknown> = {}, cause?: unknown): AirlockError {
  return new AirlockError(ErrorCodes.CONTAINERD_FAILED, message, details, cause === undefined ? undefined : { cause });
}

/** `ctr images ls` output: image name -> target digest. */
export function parseImagesList(text: string): Map<string, Digest> {
  const out = new Map<string, Digest>();
  for (const line of text.split('\n').slice(1)) {
    const [name, , digest] = line.trim().split(/\s+/);
    if (name && digest && isDigest(digest)) out.set(name, digest);
  }
  return out;
}

/** `ctr content ls` output (tab-separated: digest, size, age, labels): every committed digest with its labels. */
export function parseContentList(text: string): Map<Digest, Record<string, string>> {
  const out = new Map<Digest, Record<string, string>>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.split('\t');
    const digest = cols[0]?.trim() ?? '';
    if (!isDigest(digest)) continue;
    const labels: Record<string, string> = {};
    const text = cols.length > 1 ? cols[cols.length - 1]!.trim() : '';
    if (text !== '' && text !== '-') {
      for (const kv of text.split(',')) {
        const eq = kv.indexOf('=');
        if (eq > 0) labels[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
    }
    out.set(digest, labels);
  }
  return out;
}

/** `ctr images check` output (REF TYPE DIGEST STATUS SIZE UNPACKED, where STATUS and SIZE hold spaces): name -> unpacked. */
export function parseImagesCheck(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const last = cols[cols.length - 1];
    if (cols.length >= 4 && (last === 'true' || last === 'false')) out.set(cols[0]!, last === 'true');
  }
  return out;
}

/** The last lines of ctr's stderr, for a message. */
function stderrTail(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.trim() !== '');
  return clip(lines.slice(-3).join('; ').replace(/^ctr: /, ''), 800);
}

/** Holds back the last chunk until its upstream ended cleanly (a VerifyingStream before it): a blob's final byte only goes once it is verified. */
class HoldLast extends Transform {
  private held: Buffer | undefined;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const previous = this.held;
    this.held = chunk;
    cb(null, previous);
  }
  override _flush(cb: TransformCallback): void {
    cb(null, this.held);
  }
}

/** A containerd namespace through `ctr`. */
export class Ctr {
  readonly socket: string;
  readonly namespace: string;
  private readonly bin: string;
  private readonly signal: AbortSignal | undefined;

  constructor(opts: CtrOptions) {
    this.socket = opts.socket;
    this.namespace = opts.namespace;
    this.bin = opts.bin ?? 'ctr';
    this.signal = opts.signal;
  }

  /**
   * Fails fast, with CONTAINERD_FAILED saying why, unless something accepts connections on
   * the socket: no such file, not a socket, refused (containerd not running), permission
   * denied, or no answer within a few seconds. ctr itself would wait 10 s and say less.
   */
  async probe(): Promise<void> {
    const where = { socket: this.socket };
    let st;
    try {
      st = await fs.stat(this.socket);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw failed(`no containerd socket at ${this.socket} (is containerd running? give its socket with --containerd)`, where, err);
      if (code === 'EACCES') throw failed(`cannot reach ${this.socket}: permission denied (run as root or as a member of the socket's group)`, where, err);
      throw failed(`cannot reach ${this.socket}: ${code ?? String(err)}`, where, err);
    }
    if (!st.isSocket()) throw failed(`${this.socket} is not a socket (give containerd's gRPC socket, e.g. /run/containerd/containerd.sock)`, where);
    await new Promise<void>((resolve, reject) => {
      const s = connect(this.socket);
      const done = (err?: Error) => {
        clearTimeout(timer);
        s.destroy();
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => done(failed(`containerd at ${this.socket} does not answer (no connection within ${PROBE_TIMEOUT_MS / 1000} s)`, where)), PROBE_TIMEOUT_MS);
      s.once('connect', () => done());
      s.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') done(failed(`nothing answers on ${this.socket} (containerd is not running?)`, where, err));
        else if (err.code === 'EACCES') done(failed(`cannot reach ${this.socket}: permission denied (run as root or as a member of the socket's group)`, where, err));
        else done(failed(`cannot reach ${this.socket}: ${err.code ?? err.message}`, where, err));
      });
    });
  }

  private spawn(args: string[], stdinFd?: number): ChildProcess {
    const argv = ['--address', this.socket, '--namespace', this.namespace, '--connect-timeout', '5s', ...args];
    return spawn(this.bin, argv, { stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'] });
  }

  /**
   * Runs `ctr ARGS` and resolves with its stdout. Its input is `stdin`, or what `feed`
   * writes (whose failure kills ctr and is what the call rejects with), or the open file
   * `stdinFd`. Rejects with CONTAINERD_FAILED (ctr's own words) on a non-zero exit, and with
   * the abort reason when the signal fires (ctr killed).
   */
  run(args: string[], opts: { stdin?: Buffer; feed?: (stdin: NodeJS.WritableStream) => Promise<void>; stdinFd?: number } = {}): Promise<string> {
    const signal = this.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<string>((resolve, reject) => {
      const child = this.spawn(args, opts.stdinFd);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      let feedError: unknown;
      const kill = () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, KILL_GRACE_MS).unref();
      };
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        kill();
        settle(() => reject(signal!.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      // ctr may exit before reading all it is given (a blob it already has): that is not an error here.
      child.stdin?.on('error', () => {});
      child.once('error', (e: NodeJS.ErrnoException) => {
        settle(() =>
          reject(
            e.code === 'ENOENT'
              ? failed(`${this.bin} not found: warm talks to containerd through its ctr command (install containerd, or give --ctr PATH)`, { ctr: this.bin }, e)
              : failed(`cannot run ${this.bin}: ${e.message}`, { ctr: this.bin }, e),
          ),
        );
      });
      child.once('close', (code, sig) => {
        const stderr = Buffer.concat(err).toString('utf8');
        if (feedError !== undefined) settle(() => reject(feedError));
        else if (code === 0) settle(() => resolve(Buffer.concat(out).toString('utf8')));
        else {
          settle(() =>
            reject(
              failed(`containerd at ${this.socket} (namespace ${this.namespace}): ctr ${args.slice(0, 2).join(' ')} failed: ${stderrTail(stderr) || `exit ${code ?? sig}`}`, {
                socket: this.socket,
                namespace: this.namespace,
                args,
                exitCode: code,
                stderr: clip(stderr, 4000),
              }),
            ),
          );
        }
      });
      if (opts.feed) {
        opts.feed(child.stdin!).catch((e: unknown) => {
          const code = (e as NodeJS.ErrnoException | undefined)?.code;
          // ctr closed its input (it exited): its exit status tells what happened.
          if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE') return;
          feedError = e;
          kill();
        });
      } else if (child.stdin) {
        child.stdin.end(opts.stdin ?? Buffer.alloc(0));
      }
    });
  }

  /** Image name -> target digest, for every image of the namespace. */
  async images(): Promise<Map<string, Digest>> {
    return parseImagesList(await this.run(['images', 'ls']));
  }

  /** Every committed blob of the namespace, with its labels. */
  async content(): Promise<Map<Digest, Record<string, string>>> {
    return parseContentList(await this.run(['content', 'ls']));
  }

  /** A committed manifest's bytes (`ctr content get`; JSON, so text), checked against `digest`; CONTAINERD_FAILED when absent. */
  async readManifest(digest: Digest): Promise<Buffer> {
    const bytes = Buffer.from(await this.run(['content', 'get', digest]), 'utf8');
    if (digestOf(bytes) !== digest) throw failed(`content ${digest} in ${this.namespace} does not hash to its digest`, { digest });
    return bytes;
  }

  /** Image name -> unpacked into `snapshotter` (ctr's default when not given). */
  async unpacked(snapshotter?: string): Promise<Map<string, boolean>> {
    return parseImagesCheck(await this.run(['images', 'check', ...(snapshotter ? ['--snapshotter', snapshotter] : [])]));
  }

  /**
   * Streams one blob into the content store under the ingest `ref`. containerd commits it
   * only when it has exactly `desc.size` bytes hashing to `desc.digest`; `verify` (a
   * VerifyingStream) checks the same on this side, and the last chunk is held back until it
   * has, so a damaged source never even reaches a commit. `through` sits just before ctr.
   *
   * Resolves `sent`, or `linked` when containerd already held the blob in another namespace
   * (its default content sharing policy): it then takes no bytes, only a commit. ctr skips
   * the bytes containerd has by seeking its input, which a pipe cannot do; so the commit is
   * made by a second ctr whose input is an empty file, which can.
   */
  async ingest(desc: Descriptor, data: Readable, ref: string, verify: Transform, through?: Transform): Promise<'sent' | 'linked'> {
    const args = ['content', 'ingest', '--expected-digest', desc.digest, '--expected-size', String(desc.size)];
    try {
      await this.run([...args, ref], {
        feed: (stdin) => (through ? pipeline(data, verify, new HoldLast(), through, stdin) : pipeline(data, verify, new HoldLast(), stdin)),
      });
      return 'sent';
    } catch (err) {
      const stderr = err instanceof AirlockError && err.code === ErrorCodes.CONTAINERD_FAILED ? String(err.details.stderr ?? '') : '';
      if (!stderr.includes(`failed to seek to offset ${desc.size}`)) throw err;
    } finally {
      data.destroy();
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-warm-'));
    try {
      const empty = await fs.open(path.join(dir, 'empty'), 'w+');
      try {
        await this.run([...args, `${ref}-link`], { stdinFd: empty.fd });
      } finally {
        await empty.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    return 'linked';
  }

  /** Deletes a blob from the namespace; one that is not there (any more) is fine. */
  async remove(digest: Digest): Promise<void> {
    try {
      await this.run(['content', 'rm', digest]);
    } catch (err) {
      const stderr = err instanceof AirlockError && err.code === ErrorCodes.CONTAINERD_FAILED ? String(err.details.stderr ?? '') : '';
      if (!/not found/i.test(stderr)) throw err;
    }
  }

  /** Commits `bytes` (small, in memory) under the ingest `ref`, with their digest and size checked by containerd. */
  async ingestBytes(bytes: Buffer, ref: string): Promise<void> {
    await this.run(['content', 'ingest', '--expected-digest', digestOf(bytes), '--expected-size', String(bytes.length), ref], { stdin: bytes });
  }

  /** Sets labels of a committed blob (a label given as '' is removed). */
  async label(digest: Digest, labels: Record<string, string>): Promise<void> {
    await this.run(['content', 'label', digest, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  }

  /**
   * `ctr images import` of `tar` (an OCI layout naming images whose content is all present):
   * names the images, for `platform`, unpacked into `snapshotter` when `unpack`. containerd
   * stores every file of the tar but `oci-layout` as a blob, index.json too (held only by the
   * import's lease, so garbage once it ends).
   */
  async importImages(tar: Buffer, opts: { platform: string; unpack: boolean; snapshotter?: string }): Promise<void> {
    const args = ['images', 'import', '--platform', opts.platform];
    if (!opts.unpack) args.push('--no-unpack');
    else if (opts.snapshotter) args.push('--snapshotter', opts.snapshotter);
    await this.run([...args, '-'], { stdin: tar });
  }
}
