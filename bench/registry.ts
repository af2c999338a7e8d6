/**
 * Distribution registries for the benchmark. Same configuration as the test harness
 * (test/helpers/registry.ts: plain HTTP on loopback, filesystem storage, deletes enabled),
 * except that the access log is on: one line per request, which is how requests are counted
 * without putting anything between the tools and the registries.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, logTail } from '../test/helpers/registry.js';

/** Requests seen in an access log, by kind. */
export interface RequestCounts {
  total: number;
  /** `METHOD kind` → count, kind one of ping, manifest, blob, upload, tags, other. */
  byKind: Record<string, number>;
  /** Responses with status >= 400 (404 on HEAD is how "not there yet" is answered). */
  errors: number;
}

/** A running registry owned by the benchmark. */
export interface BenchRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  logFile: string;
  pid: number;
  /** Bytes in the log so far: a mark to count requests from. */
  mark(): Promise<number>;
  /** CPU seconds (user+sys) the registry process has used so far. */
  cpuSeconds(): Promise<number>;
  /** Requests logged after `mark`, once the log has stopped growing. */
  requestsSince(mark: number): Promise<RequestCounts>;
  /** Kills the registry and removes its storage. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

// 127.0.0.1 - - [22/Nov/2026:05:02:56 +0000] "HEAD /v2/x/manifests/latest HTTP/1.1" 404 96 "" "curl/7.88.1"
const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]+\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

function kindOf(path: string): string {
  const p = path.split('?')[0]!;
  if (p === '/v2/' || p === '/v2') return 'ping';
  if (/\/blobs\/uploads\//.test(p) || p.endsWith('/blobs/uploads')) return 'upload';
  if (/\/manifests\/[^/]+$/.test(p)) return 'manifest';
  if (/\/blobs\/[^/]+$/.test(p)) return 'blob';
  if (p.endsWith('/tags/list')) return 'tags';
  return 'other';
}

/** Counts the access-log lines in `text` (other log lines are ignored). */
export function countRequests(text: string): RequestCounts {
  const counts: RequestCounts = { total: 0, byKind: {}, errors: 0 };
  for (const line of text.split('\n')) {
    const m = ACCESS_LINE.exec(line);
    if (!m) continue;
    counts.total++;
    const key = `${m[1]} ${kindOf(m[2]!)}`;
    counts.byKind[key] = (counts.byKind[key] ?? 0) + 1;
    if (Number(m[3]) >= 400) counts.errors++;
  }
  return counts;
}

let clockTicks: number | undefined;

/** user+sys CPU seconds of a live process, from /proc/PID/stat (Linux). */
export async function processCpuSeconds(pid: number): Promise<number> {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Machine-wide CPU seconds so far (/proc/stat): busy (every non-idle state but steal) and steal. */
export async function machineCpuSeconds(): Promise<{ busy: number; steal: number }> {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq!) / clockTicks, steal: (steal ?? 0) / clockTicks };
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file)).size;
}

async function waitReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited before answering\n${await logTail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry at ${url} not ready\n${await logTail(logFile)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface StartOptions {
  /**
   * Fills the storage root (Distribution's filesystem `rootdirectory`) before the registry
   * starts, e.g. by writing its storage layout directly (bench/distribution-storage.ts).
   */
  seed?: (rootDirectory: string) => Promise<void>;
}

/**
 * Starts `docker-registry serve` on a free loopback port with fresh storage under the
 * system temp dir and its access log on. `label` only names the temp dir.
 */
export async function startBenchRegistry(label: string, opts: StartOptions = {}): Promise<BenchRegistry> {
  const root = await mkdtemp(join(tmpdir(), `airlock-bench-${label}-`));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'registry.log');
  await mkdir(dataDir);
  try {
    await opts.seed?.(dataDir);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  for (let attempt = 1; ; attempt++) {
    const host = `127.0.0.1:${await freePort()}`;
    const url = `http://${host}`;
    const config = {
      version: '0.1',
      log: { level: 'warn', formatter: 'text', accesslog: { disabled: false } },
      storage: {
        filesystem: { rootdirectory: dataDir },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: host, secret: randomBytes(16).toString('hex'), headers: { 'X-Content-Type-Options': ['nosniff'] } },
      health: { storagedriver: { enabled: false } },
    };
    const configFile = join(root, 'config.yml');
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const log = await open(logFile, 'w');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;
    const child = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', log.fd, log.fd], env });
    await log.close();
    live.add(child);
    child.once('exit', () => live.delete(child));
    try {
      await Promise.race([
        waitReady(url, child, logFile),
        new Promise<never>((_, reject) => child.once('error', reject)),
      ]);
    } catch (err) {
      await killChild(child);
      if (attempt < 5 && /address already in use/i.test(await logTail(logFile))) continue;
      await rm(root, { recursive: true, force: true });
      throw err;
    }
    let stopped: Promise<void> | undefined;
    return {
      host,
      url,
      logFile,
      pid: child.pid!,
      mark: () => sizeOf(logFile),
      cpuSeconds: () => processCpuSeconds(child.pid!),
      async requestsSince(mark) {
        // The registry logs a request after answering it: wait until the log stops growing.
        let size = await sizeOf(logFile);
        for (let i = 0; i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const now = await sizeOf(logFile);
          if (now === size) break;
          size = now;
        }
        const text = (await readFile(logFile)).subarray(mark).toString('utf8');
        return countRequests(text);
      },
      stop() {
        stopped ??= (async () => {
          await killChild(child);
          await rm(root, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  }
}
