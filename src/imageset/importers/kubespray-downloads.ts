/**
 * Kubespray's own image list, as `contrib/offline/generate_list.sh` makes it: every entry of
 * `downloads:` that is a container (`container:` true) as `{{ repo }}:{{ tag }}`, plus the
 * control-plane images kubeadm pulls itself (`{{ kube_image_repo }}/kube-<name>:{{ kube_version }}`).
 *
 * `enabled:` and `container:` are evaluated. An entry whose switch is an expression (or a
 * literal false) becomes an image with `enabled_by: download_<key>` and a parameter
 * `download_<key>` holding the evaluated switch, so an image Kubespray would skip for these
 * variables is in the set switched off (`airlock resolve --set download_<key>=true` brings
 * it back). A switch that cannot be evaluated counts as on (Kubespray's list has every
 * image) and is noted.
 */
import type { ImageEntry } from '../types.js';
import { rawText, type Definition, type JinjaWhere, type RawValue } from './jinja.js';
import { isTemplate } from './jinja-lexer.js';
import type { Download, DownloadField } from './vars-files.js';
import { Requests, switchOf, type EvalOutcome } from './evaluate.js';
import { checkedDigest, checkedReference, checkedText, type Checked } from './kubespray-image.js';
import type { ImportPlan } from './kubespray-plan.js';
import { Problems, type Problem } from './problems.js';
import { kubeadmImages, type KubeadmImages } from './kubespray-kubeadm.js';
import { provenanceFile, referenceExpression, checksumVariable } from './kubespray-provenance.js';
import { KeyAllocator } from './keys.js';

/** A field: absent, a literal, or evaluated (the request's index). */
type Field = { kind: 'absent' } | { kind: 'literal'; raw: RawValue } | { kind: 'asked'; index: number; raw: RawValue };

interface Entry {
  download: Download;
  container: Field;
  enabled: Field;
  repo: Field;
  tag: Field;
  checksum: Field;
  /** The checksum field's name (`checksum`, or `sha256` in older Kubespray). */
  checksumName: string;
}

/** A switch's value: on, off, or undecided (with why). */
type Switch = { value: boolean } | { value: undefined; why: string };

const fieldWhere = (d: Download, name: string, f?: DownloadField): JinjaWhere => ({
  variable: `downloads.${d.name}.${name}`,
  file: d.file,
  ...((f?.line ?? d.line) ? { line: f?.line ?? d.line } : {}),
  expression: f ? rawText(f.raw) : '',
});

/** What the notes say about the downloads; all in download order. */
interface Notes {
  off: string[];
  undecided: { name: string; why: string }[];
  skipped: string[];
}

/** Parameter switching a download's image: `download_<key>`. */
export const switchParameter = (key: string) => `download_${key}`;

/**
 * The plan for `downloads` (from the file defining them) plus the kubeadm images, over the
 * variables `defs`.
 */
export function planDownloads(downloads: Download[], defs: ReadonlyMap<string, Definition>): ImportPlan {
  const requests = new Requests();
  const field = (d: Download, name: string): Field => {
    const f = d.fields.get(name);
    if (!f) return { kind: 'absent' };
    if (typeof f.raw === 'string' && isTemplate(f.raw)) return { kind: 'asked', index: requests.add(f.raw, fieldWhere(d, name, f)), raw: f.raw };
    return { kind: 'literal', raw: f.raw };
  };
  const entries: Entry[] = [];
  for (const d of downloads) {
    const container = field(d, 'container');
    // A file download (no container, or container: false written as such) is no image.
    if (container.kind === 'absent' || (container.kind === 'literal' && switchOf(literalValue(container.raw)) !== true)) continue;
    const checksumName = d.fields.has('checksum') ? 'checksum' : 'sha256';
    entries.push({ download: d, container, enabled: field(d, 'enabled'), repo: field(d, 'repo'), tag: field(d, 'tag'), checksum: field(d, checksumName), checksumName });
  }
  const kubeadm = kubeadmImages(downloads, defs, requests);
  return {
    requests: requests.list,
    finish: (outcomes) => build(entries, kubeadm, outcomes),
  };
}

function literalValue(raw: RawValue): Exclude<RawValue, RawValue[] | Map<string, RawValue>> | null {
  return Array.isArray(raw) || raw instanceof Map ? null : raw;
}

function switchValue(f: Field, outcomes: EvalOutcome[], absent: boolean): Switch {
  if (f.kind === 'absent') return { value: absent };
  if (f.kind === 'literal') {
    const v = switchOf(literalValue(f.raw));
    return v === undefined ? { value: undefined, why: `${JSON.stringify(rawText(f.raw))} is not true or false` } : { value: v };
  }
  const o = outcomes[f.index]!;
  if (!o.ok) return { value: undefined, why: o.problem.undefinedName ? `${o.problem.undefinedName} is undefined` : o.problem.message };
  const v = switchOf(o.value);
  return v === undefined ? { value: undefined, why: 'it is neither true nor false' } : { value: v };
}

function fieldText(f: Field, d: Download, name: string, outcomes: EvalOutcome[], allowEmpty = false): Checked<string> {
  const where = fieldWhere(d, name, d.fields.get(name));
  if (f.kind === 'absent') {
    if (allowEmpty) return { ok: true, value: '' };
    return { ok: false, problem: { ...where, message: `is missing (a container download needs repo and tag)`, kind: 'invalid' } };
  }
  const outcome: EvalOutcome = f.kind === 'asked' ? outcomes[f.index]! : { ok: true, value: literalValue(f.raw) };
  return checkedText(outcome, where, allowEmpty);
}

function build(entries: Entry[], kubeadm: KubeadmImages, outcomes: EvalOutcome[]) {
  const problems = new Problems();
  const keys = new KeyAllocator();
  const images: Record<string, ImageEntry> = {};
  const parameters: Record<string, boolean> = {};
  const notes: Notes = { off: [], undecided: [], skipped: [] };
  for (const e of entries) {
    const d = e.download;
    const container = switchValue(e.container, outcomes, false);
    const enabled = switchValue(e.enabled, outcomes, true);
    const switches = [container, enabled];
    const on = !switches.some((s) => s.value === false);
    const conditional = e.container.kind === 'asked' || e.enabled.kind === 'asked' || !on;
    // Undecided matters only when no switch is known to be off.
    if (on) for (const s of switches) if (s.value === undefined) notes.undecided.push({ name: d.name, why: s.why });
    const repo = fieldText(e.repo, d, 'repo', outcomes);
    const tag = fieldText(e.tag, d, 'tag', outcomes);
    const checksum = fieldText(e.checksum, d, e.checksumName, outcomes, true);
    const digest = checksum.ok ? checkedDigest(checksum.value, fieldWhere(d, e.checksumName, d.fields.get(e.checksumName))) : checksum;
    const ref = repo.ok && tag.ok && digest.ok ? checkedReference(repo.value, tag.value, digest.value, fieldWhere(d, 'repo', d.fields.get('repo'))) : undefined;
    if (!ref?.ok) {
      // An image Kubespray would not pull for these variables may well not evaluate: leave it out, say so.
      if (!on) notes.skipped.push(d.name);
      else for (const c of [repo, tag, digest, ...(ref ? [ref] : [])] as Checked<unknown>[]) if (!c.ok) problems.add(c.problem);
      continue;
    }
    const key = keys.allocate(d.name);
    const checksumVar = e.checksum.kind === 'absent' ? undefined : checksumVariable(rawText(e.checksum.raw));
    // Fields in the order the image set loader gives them, so an import reads back byte for byte.
    const entry: ImageEntry = {
      ref: ref.value,
      ...(conditional ? { enabled_by: switchParameter(key) } : {}),
      imported: {
        tool: 'kubespray',
        file: provenanceFile(d.file),
        ...(d.line ? { line: d.line } : {}),
        name: d.name,
        expression: referenceExpression(rawText(fieldRaw(e.repo)), rawText(fieldRaw(e.tag))),
        // The variable that pins the image (Kubespray pulls repo@sha256:<it>): the renderer writes the digest there.
        ...(checksumVar ? { parameters: [checksumVar] } : {}),
      },
    };
    if (entry.enabled_by) {
      parameters[entry.enabled_by] = on;
      if (!on) notes.off.push(d.name);
    }
    images[key] = entry;
  }
  for (const k of kubeadm.build(outcomes, (p: Problem) => problems.add(p))) images[keys.allocate(k.key)] = k.entry;
  problems.throwIfAny();
  const sortedKeys = Object.keys(images).sort();
  const set = {
    version: 1 as const,
    parameters: Object.fromEntries(Object.keys(parameters).sort().map((k) => [k, parameters[k]!])),
    images: Object.fromEntries(sortedKeys.map((k) => [k, images[k]!])),
    rules: [],
    credentials: {},
  };
  return { set, ...noteLines(notes) };
}

function fieldRaw(f: Field): RawValue {
  return f.kind === 'absent' ? '' : f.raw;
}

const list = (names: string[], max = 20) => (names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', '));

/** Switched-off and left-out downloads are notes (the file's header); undecided switches are warnings (supply the variables). */
function noteLines(n: Notes): { notes: string[]; warnings: string[] } {
  const out: string[] = [];
  const warnings: string[] = [];
  if (n.off.length > 0) {
    out.push(`switched off for these variables (Kubespray would not pull them; airlock resolve --set download_<key>=true brings one back): ${list(n.off)}`);
  }
  if (n.undecided.length > 0) {
    const whys = [...new Set(n.undecided.map((u) => u.why))];
    warnings.push(
      `could not tell whether Kubespray pulls ${list([...new Set(n.undecided.map((u) => u.name))])} (${list(whys, 5)}); imported switched on: give the variables with --set or --inventory to decide`,
    );
  }
  if (n.skipped.length > 0) out.push(`left out, switched off and not evaluable for these variables: ${list(n.skipped)}`);
  return { notes: out, warnings };
}
