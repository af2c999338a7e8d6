/**
 * A real containerd for tests: its own config, root, state and socket under one temp dir,
 * started as root, stopped by its PID. The CRI plugin and everything that would reach the
 * network or touch the host outside the temp dir are switched off. By default content is
 * isolated per namespace (`content_sharing_policy = "isolated"`), so each test can use its
 * own namespace as a fresh node on one daemon; `shared` is containerd's own default (a blob
 * any namespace holds is linked into another without its bytes).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logTail } from './registry.js';
import { killOnExit } from './children.js';

/** A running containerd owned by the test. */
export interface TestContainerd {
  dir: string;
  /** The gRPC socket (`ctr -a`). */
  socket: string;
  logFile: string;
  pid: number;
  /** Runs `ctr -a SOCKET -n NAMESPACE ...args`; rejects with ctr's stderr on a non-zero exit. */
  ctr(args: string[], opts?: { namespace?: string; input?: Buffer }): Promise<string>;
  /** Stops containerd (SIGTERM, SIGKILL after 5 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Plugins a test daemon does without: CRI (and its network), snapshotters needing special file systems, /opt, tracing. */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.internal.v1.opt',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
];

/** Unix socket paths are limited to 107 bytes. */
const MAX_SOCKET_PATH = 100;


/** True when something accepts connections on the unix socket `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs ctr and resolves with its stdout. */
export function runCtr(socket: string, namespace: string, args: string[], input?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ctr', ['-a', socket, '-n', namespace, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ctr ${args.join(' ')}: ${err.message}\n${stderr.toString('utf8')}`));
      else resolve(stdout.toString('utf8'));
    });
    child.stdin!.end(input ?? Buffer.alloc(0));
  });
}

/** The temp dir for the daemon, short enough for its socket path. */
async function shortTempDir(): Promise<string> {
  const base = join(tmpdir(), 'actd-XXXXXX/state/c.sock.ttrpc').length <= MAX_SOCKET_PATH ? tmpdir() : '/tmp';
  return mkdtemp(join(base, 'actd-'));
}

/** Which of the host's mounts lie under `dir` (an unpack a crash left mounted), deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Starts `containerd` as root with a private config (version 2: root, state and the gRPC
 * socket under a fresh temp dir), and resolves once its socket answers. Errors carry the
 * tail of its log.
 */
export async function startContainerd(opts: { contentSharing?: 'isolated' | 'shared' } = {}): Promise<TestContainerd> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('containerd tests run containerd itself, which needs root');
  }
  const dir = await shortTempDir();
  const socket = join(dir, 'state', 'c.sock');
  const logFile = join(dir, 'containerd.log');
  const config = join(dir, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = ${JSON.stringify(join(dir, 'root'))}`,
      `state = ${JSON.stringify(join(dir, 'state'))}`,
      `disabled_plugins = ${JSON.stringify(DISABLED_PLUGINS)}`,
      '',
      '[grpc]',
      `  address = ${JSON.stringify(socket)}`,
      '',
      '[ttrpc]',
      `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
      '',
      '[plugins."io.containerd.metadata.v1.bolt"]',
      `  content_sharing_policy = ${JSON.stringify(opts.contentSharing ?? 'isolated')}`,
      '',
    ].join('\n'),
  );
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  killOnExit(child);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    for (const m of await mountsUnder(dir)) {
      await new Promise<void>((resolve) => execFile('umount', ['-l', m], () => resolve()));
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
      if (failed) throw new Error(`cannot run containerd (is the containerd package installed?): ${failed.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}) before its socket answered\n${await logTail(logFile)}`);
      }
      if (await socketAnswers(socket)) break;
      if (Date.now() > deadline) throw new Error(`containerd did not answer on ${socket} within 20 s\n${await logTail(logFile)}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    socket,
    logFile,
    pid: child.pid!,
    ctr: (args, opts = {}) => runCtr(socket, opts.namespace ?? 'default', args, opts.input),
    stop,
  };
}

/** `ctr images ls` in `namespace`: image name -> target digest. */
export async function containerdImages(c: TestContainerd, namespace: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await c.ctr(['images', 'ls'], { namespace })).split('\n').slice(1)) {
    const [name, , digest] = line.trim().split(/\s+/);
    if (name && digest) out.set(name, digest);
  }
  return out;
}

/** `ctr content ls` in `namespace`: every committed digest, with its labels. */
export async function containerdContent(c: TestContainerd, namespace: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of (await c.ctr(['content', 'ls'], { namespace })).split('\n').slice(1)) {
    const cols = line.split('\t');
    const digest = cols[0]?.trim();
    if (!digest) continue;
    const labels: Record<string, string> = {};
    const text = cols[cols.length - 1]?.trim() ?? '';
    if (text !== '-' && text !== '') {
      for (const kv of text.split(',')) {
        const eq = kv.indexOf('=');
        if (eq > 0) labels[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
    }
    out.set(digest, labels);
  }
  return out;
}

/** `ctr images check`: image name -> unpacked for `snapshotter`. */
export async function containerdUnpacked(c: TestContainerd, namespace: string, snapshotter: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const line of (await c.ctr(['images', 'check', '--snapshotter', snapshotter], { namespace })).split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 4) out.set(cols[0]!, cols[cols.length - 1] === 'true');
  }
  return out;
}
