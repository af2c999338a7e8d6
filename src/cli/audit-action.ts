import { readFile, stat } from 'node:fs/promises';
import { audit, type AuditResult } from '../audit/check.js';
import { containersOfJson, type AuditContainer } from '../audit/pods.js';
import { formatAuditJson, formatAuditJunit, formatAuditText } from '../audit/report.js';
import { AirlockError, ErrorCodes } from '../errors.js';
import { readLock } from '../lock/read.js';
import { ExitCodes } from './exit-codes.js';

/** Flags of `airlock audit`. */
export interface AuditFlags {
  lock: string[];
  allowedRegistry: string[];
  kubeconfig?: string;
  context?: string;
  filename?: string;
  timeout: string;
  format: string;
  json?: boolean;
  containerd?: string;
  namespace: string;
  only: string[];
  platform?: string;
  names?: string;
}

const FORMATS = ['text', 'json', 'junit'];

/** The largest pods file read (a 100,000-pod cluster's JSON is about a quarter of it); more is refused, not held in memory. */
const MAX_PODS_BYTES = 1024 * 1024 * 1024;

function tooLarge(what: string): AirlockError {
  return new AirlockError(ErrorCodes.AUDIT_INPUT_INVALID, `${what}: over ${MAX_PODS_BYTES / 1024 / 1024} MiB, more than any cluster's pod list`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > MAX_PODS_BYTES) throw tooLarge('stdin');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The containers to audit: from -f (a file or stdin) or the API. */
async function containers(flags: AuditFlags): Promise<AuditContainer[]> {
  if (flags.filename !== undefined) {
    const what = flags.filename === '-' ? 'stdin' : flags.filename;
    if (flags.filename !== '-') {
      const st = await stat(flags.filename).catch((err: Error) => {
        throw new AirlockError(ErrorCodes.AUDIT_INPUT_INVALID, `-f ${flags.filename}: ${err.message}`);
      });
      if (st.size > MAX_PODS_BYTES) throw tooLarge(`-f ${flags.filename}`);
    }
    const text =
      flags.filename === '-'
        ? await readStdin()
        : await readFile(flags.filename, 'utf8').catch((err: Error) => {
            throw new AirlockError(ErrorCodes.AUDIT_INPUT_INVALID, `-f ${flags.filename}: ${err.message}`);
          });
    return containersOfJson(text, what);
  }
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new AirlockError(ErrorCodes.USAGE, `--timeout takes seconds, got "${flags.timeout}"`);
  // Loaded only for the API: the Kubernetes client is a large module a pods file does not need.
  const { listClusterContainers } = await import('../audit/kube.js');
  return (await listClusterContainers({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}), timeoutMs: seconds * 1000 })).containers;
}

/** `airlock audit`. */
export async function run(flags: AuditFlags): Promise<void> {
  const format = flags.json ? 'json' : flags.format;
  if (!FORMATS.includes(format)) throw new AirlockError(ErrorCodes.USAGE, `--format takes ${FORMATS.join(', ')}, got "${format}"`);
  if (flags.lock.length === 0) throw new AirlockError(ErrorCodes.USAGE, 'give the lock the cluster should run: --lock images.lock.yaml');
  if (flags.containerd !== undefined) {
    const { runNodeAudit } = await import('./audit-node-action.js');
    return runNodeAudit(flags, format);
  }
  const locks = await Promise.all(flags.lock.map((f) => readLock(f)));
  const result: AuditResult = audit(await containers(flags), locks, flags.allowedRegistry);
  process.stdout.write(format === 'json' ? formatAuditJson(result) : format === 'junit' ? formatAuditJunit(result) : formatAuditText(result));
  if (result.findings.length > 0) process.exitCode = ExitCodes.failed;
}
