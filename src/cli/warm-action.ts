import { AirlockError, ErrorCodes } from '../errors.js';
import { parsePlatform } from '../oci/platform.js';
import { parseNames } from '../warm/names.js';
import { planWarm } from '../warm/plan.js';
import { hostPlatform } from '../warm/platform.js';
import { openWarmSource } from '../warm/source.js';
import { warm, type WarmPause, type WarmReport } from '../warm/warm.js';
import { formatBytes } from './format.js';
import { interruptSignal } from './interrupt.js';
import { positiveInt } from './registry-flags.js';

/** Flags of `airlock warm`. */
export interface WarmFlags {
  containerd: string;
  namespace: string;
  only?: string[];
  platform?: string;
  unpack?: boolean;
  snapshotter?: string;
  names?: string;
  lock?: string;
  store?: string;
  jobs?: string;
  ctr: string;
  json?: boolean;
  dryRun?: boolean;
}

/**
 * Test-only: AIRLOCK_WARM_TEST_PAUSE=blobs:N|bytes:N|import stops the run at that point (and
 * says so on stderr) until it is killed, so tests can crash it where they mean to.
 */
function testPause(value: string | undefined): WarmPause | undefined {
  if (!value) return undefined;
  const onPause = (where: string) => process.stderr.write(`airlock: test pause ${where}\n`);
  const m = /^(blobs|bytes):(\d+)$/.exec(value);
  if (m) return m[1] === 'blobs' ? { afterBlobs: Number(m[2]), onPause } : { atBytes: Number(m[2]), onPause };
  if (value === 'import') return { beforeImport: true, onPause };
  throw new AirlockError(ErrorCodes.USAGE, `AIRLOCK_WARM_TEST_PAUSE takes blobs:N, bytes:N or import, got "${value}"`);
}

function print(r: WarmReport): string {
  const lines = r.images.map((i) =>
    i.status === 'skipped'
      ? `skipped  ${i.name}  ${i.digest.slice(0, 19)}  (already in containerd)`
      : `${i.status.padEnd(8)} ${i.name}  ${i.digest.slice(0, 19)}  ${i.blobsSent} of ${i.blobs} blobs ${i.status === 'planned' ? 'to send' : 'sent'} (${formatBytes(i.bytesSent)})${i.blobsLinked ? `, ${i.blobsLinked} taken from another namespace` : ''}${i.replaced ? `, was ${i.replaced.slice(0, 19)}` : ''}`,
  );
  const dry = r.images.some((i) => i.status === 'planned');
  const warmed = r.images.filter((i) => i.status !== 'skipped').length;
  lines.push(
    `${warmed} ${dry ? 'to warm' : 'warmed'}, ${r.images.length - warmed} skipped: ${r.blobsSent} blobs (${formatBytes(r.bytesSent)}) ${dry ? 'would be sent' : 'sent'}${r.blobsLinked ? `, ${r.blobsLinked} taken from another namespace` : ''} to ${r.containerd} (namespace ${r.namespace}, ${r.platform}${r.unpack ? ', unpacked' : ''})${dry ? '; --dry-run: nothing changed' : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `airlock warm SOURCE --containerd SOCKET`. */
export async function run(from: string, flags: WarmFlags): Promise<void> {
  const signal = interruptSignal();
  const jobs = positiveInt('--jobs', flags.jobs, 4) || 1;
  if (flags.snapshotter && !flags.unpack) throw new AirlockError(ErrorCodes.USAGE, '--snapshotter goes with --unpack');
  const platform = flags.platform
    ? parsePlatform(flags.platform)
    : hostPlatform();
  const names = flags.names ? parseNames(flags.names) : undefined;
  const pause = testPause(process.env.AIRLOCK_WARM_TEST_PAUSE);
  const src = await openWarmSource(from, { lockFile: flags.lock, store: flags.store });
  const images = await planWarm(src.lock, src, { platform, ...(flags.only ? { only: flags.only } : {}), ...(names ? { names } : {}) });
  const tty = process.stderr.isTTY && !flags.json;
  const report = await warm(images, src, {
    socket: flags.containerd,
    namespace: flags.namespace,
    platform,
    unpack: Boolean(flags.unpack),
    snapshotter: flags.snapshotter,
    ctr: flags.ctr,
    jobs,
    signal,
    dryRun: Boolean(flags.dryRun),
    pause,
    onBlob: (_d, sent, total) => {
      if (tty) process.stderr.write(`\rwarming: ${formatBytes(sent)} of ${formatBytes(total)}`);
    },
  });
  if (tty && report.blobsSent > 0) process.stderr.write('\n');
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : print(report));
}
