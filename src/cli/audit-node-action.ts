import { AirlockError, ErrorCodes } from '../errors.js';
import { auditNode, type NodeAuditResult } from '../audit/node.js';
import { xml } from '../audit/report.js';
import { readLock } from '../lock/read.js';
import { parsePlatform } from '../oci/platform.js';
import { Ctr } from '../warm/ctr.js';
import { parseNames } from '../warm/names.js';
import { selectKeys } from '../warm/plan.js';
import { hostPlatform } from '../warm/platform.js';
import type { AuditFlags } from './audit-action.js';
import { ExitCodes } from './exit-codes.js';
import { interruptSignal } from './interrupt.js';

function format(r: NodeAuditResult, socket: string, how: string): string {
  if (how === 'json') return `${JSON.stringify({ type: 'node-audit', socket, clean: r.findings.length === 0, ...r })}\n`;
  if (how === 'junit') {
    const cases = r.findings.map((f) => `    <testcase classname="node" name="${xml(f.key)}"><failure type="${f.code}" message="${xml(f.message)}"/></testcase>`);
    return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuite name="airlock audit --containerd" tests="${r.images}" failures="${r.findings.length}">`, ...cases, '</testsuite>', ''].join('\n');
  }
  if (r.findings.length === 0) return `${socket}: all ${r.images} image(s) present with the locked digest and all their content\n`;
  return `${socket}: ${r.findings.length} finding(s) of ${r.images} image(s):\n${r.findings.map((f) => `  ${f.code.padEnd(16)} ${f.key}  ${f.message}`).join('\n')}\n`;
}

/** `airlock audit --containerd SOCKET --lock LOCK`: one node against the locks. */
export async function runNodeAudit(flags: AuditFlags, how: string): Promise<void> {
  const platform = flags.platform ? parsePlatform(flags.platform) : hostPlatform();
  const names = flags.names ? parseNames(flags.names) : undefined;
  const ctr = new Ctr({ socket: flags.containerd!, namespace: flags.namespace, signal: interruptSignal() });
  await ctr.probe();
  const total: NodeAuditResult = { images: 0, findings: [] };
  const locks = await Promise.all(flags.lock.map((f) => readLock(f)));
  const unknown = flags.only.filter((k) => !locks.some((l) => k in l.images));
  if (unknown.length > 0) throw new AirlockError(ErrorCodes.USAGE, `--only ${unknown.join(', ')}: in none of the locks`);
  for (const lock of locks) {
    const only = flags.only.filter((k) => k in lock.images);
    if (flags.only.length > 0 && only.length === 0) continue;
    const r = await auditNode(ctr, lock, selectKeys(lock, only), platform, names);
    total.images += r.images;
    total.findings.push(...r.findings);
  }
  process.stdout.write(format(total, flags.containerd!, how));
  if (total.findings.length > 0) process.exitCode = ExitCodes.failed;
}
