/** The audit's output: a summary and a table for people, JSON for tools, JUnit XML for CI. */
import type { AuditResult, Finding } from './check.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** The summary (images and pods per registry, as the kubectl one-liner counts them, done properly) and the findings table. */
export function formatAuditText(r: AuditResult): string {
  const out: string[] = [];
  out.push(`${r.pods} pods, ${r.containers} containers${r.pending ? `, ${r.pending} not running yet` : ''}${r.unverified ? `, ${r.unverified} reporting only an image ID` : ''}`);
  out.push('');
  out.push(table([['REGISTRY', 'IMAGES', 'PODS', 'CONTAINERS'], ...r.registries.map((g) => [g.registry, String(g.images), String(g.pods), String(g.containers)])]));
  out.push('');
  if (r.findings.length === 0) {
    out.push('no findings: every container runs what the lock pins, from an allowed registry');
    return `${out.join('\n')}\n`;
  }
  out.push(`${r.findings.length} finding(s):`);
  out.push(table([['NAMESPACE', 'POD', 'CONTAINER', 'FINDING', 'WHAT', 'FIX'], ...r.findings.map((f) => [f.namespace, f.pod, f.kind === 'container' ? f.container : `${f.container} (${f.kind})`, f.code, `${f.image}: ${f.message}`, f.fix ?? '-'])]));
  return `${out.join('\n')}\n`;
}

/** The result as one JSON document. */
export function formatAuditJson(r: AuditResult): string {
  return `${JSON.stringify({ type: 'audit', clean: r.findings.length === 0, ...r })}\n`;
}

/** `text` escaped for an XML attribute or element. */
export function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * JUnit XML: one test case per container with findings (each finding a failure), and one
 * passing case summing up the rest, so CI shows what drifted by pod and container.
 */
export function formatAuditJunit(r: AuditResult): string {
  const byContainer = new Map<string, Finding[]>();
  for (const f of r.findings) {
    const id = `${f.namespace}/${f.pod}/${f.container}`;
    byContainer.set(id, [...(byContainer.get(id) ?? []), f]);
  }
  const cases = [...byContainer].map(([id, fs]) => {
    const f = fs[0]!;
    const failures = fs.map((x) => `      <failure type="${xml(x.code)}" message="${xml(`${x.image}: ${x.message}`)}">${xml(x.fix ? `use ${x.fix}` : x.message)}</failure>`).join('\n');
    return `    <testcase classname="${xml(f.namespace)}" name="${xml(`${f.pod}/${f.container}`)}" file="${xml(id)}">\n${failures}\n    </testcase>`;
  });
  const clean = r.containers - byContainer.size;
  cases.push(`    <testcase classname="airlock.audit" name="${clean} container(s) run what the lock pins"/>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="airlock audit" tests="${byContainer.size + 1}" failures="${byContainer.size}">`,
    `  <testsuite name="airlock audit" tests="${byContainer.size + 1}" failures="${byContainer.size}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
