/**
 * Import benchmark: `airlock import atmosphere` and `airlock import kubespray` (built-in
 * evaluator) against Ansible evaluating the same generated role files the way the tools do
 * (`atmosphere_images`; Kubespray's enabled container downloads and kubeadm images), side by
 * side in one run at each size. Every run's output is checked against the references the
 * generator wrote; a wrong or failed run is FAILED and left out of the medians.
 *
 *   npm run bench:import [-- --sizes 5000,20000 --runs 3]   (npm run bench -- --import-sizes ...)
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseImageSet } from '../src/imageset/load.js';
import { planImageSet } from '../src/imageset/rules.js';
import { formatReference, parseReference } from '../src/ref/reference.js';
import { atmosphereRole, kubesprayDefaults, type ImportInputs } from './import-data.js';
import { measure, type Measured } from './measure.js';
import { median } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AIRLOCK_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
/** Goal from the importers' issue: a 20,000-image file imports in under 2 s. */
const GOAL_S = 2;

// `--import-sizes` is the name `npm run bench` (bench/all.ts) hands over, as --sizes is the scale benchmark's there.
const { values } = parseArgs({ options: { sizes: { type: 'string' }, 'import-sizes': { type: 'string' }, runs: { type: 'string', default: '3' } } });
const sizes = (values['import-sizes'] ?? values.sizes ?? '5000,20000').split(',').filter(Boolean).map(Number);
const runs = Number(values.runs);
if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes takes positive whole numbers, e.g. 5000,20000');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');

type Tool = 'airlock' | 'ansible';
type Format = 'atmosphere' | 'kubespray';
interface Run extends Measured {
  ok: boolean;
  why?: string;
}

const KUBEADM = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'];

/** What Ansible is asked to print, as JSON: name -> reference, as the tool builds its list. */
const ANSIBLE_LIST: Record<Format, string> = {
  atmosphere: '{{ atmosphere_images | to_json }}',
  kubespray:
    '{% set out = {} %}{% for name, d in downloads.items() %}{% if d.container | default(false) and d.enabled | default(true) | bool %}' +
    "{% set _ = out.update({name: d.repo ~ ':' ~ d.tag}) %}{% endif %}{% endfor %}" +
    "{% for name in ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'] %}" +
    "{% set _ = out.update({name: kube_image_repo ~ '/' ~ name ~ ':' ~ kube_version}) %}{% endfor %}{{ out | to_json }}",
};
const ROLE: Record<Format, string> = { atmosphere: 'defaults', kubespray: 'kubespray_defaults' };

/** name -> normalised reference, or the first difference from `expected`. */
function compare(got: Map<string, string>, expected: Map<string, string>): string | undefined {
  if (got.size !== expected.size) return `${got.size} images, expected ${expected.size}`;
  for (const [name, ref] of expected) {
    const g = got.get(name);
    if (g === undefined) return `${name} missing`;
    if (formatReference(parseReference(g)) !== formatReference(parseReference(ref))) return `${name}: ${g}, expected ${ref}`;
  }
  return undefined;
}

async function airlockRun(format: Format, inputs: ImportInputs, work: string, tag: string): Promise<Run> {
  const out = join(work, `${tag}.yaml`);
  await rm(out, { force: true });
  const m = await measure(process.execPath, [AIRLOCK_MAIN, 'import', format, ...inputs.files, '--ansible', 'never', '-o', out], process.env, join(work, tag));
  if (m.exitCode !== 0) return { ...m, ok: false, why: `exit ${m.exitCode}: ${(await readFile(join(work, `${tag}.err`), 'utf8')).slice(0, 300)}` };
  const got = new Map<string, string>();
  for (const p of planImageSet(parseImageSet(await readFile(out, 'utf8')))) got.set(p.imported?.name ?? p.key, p.template);
  const why = compare(got, inputs.expected);
  return { ...m, ok: why === undefined, ...(why ? { why } : {}) };
}

async function ansibleRun(format: Format, inputs: ImportInputs, work: string, tag: string): Promise<Run> {
  const dir = join(work, `${tag}-ansible`);
  await mkdir(join(dir, 'home'), { recursive: true });
  await writeFile(join(dir, 'ansible.cfg'), `[defaults]\nroles_path = ${inputs.rolesDir}\n`);
  const play = [{ hosts: 'localhost', gather_facts: false, connection: 'local', roles: [{ role: ROLE[format] }], tasks: [{ 'ansible.builtin.debug': { msg: ANSIBLE_LIST[format] } }] }];
  await writeFile(join(dir, 'play.json'), JSON.stringify(play));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false', ANSIBLE_NOCOLOR: '1' };
  const m = await measure('ansible-playbook', ['-i', 'localhost,', join(dir, 'play.json')], env, join(work, tag));
  const stdout = await readFile(join(work, `${tag}.out`), 'utf8');
  const line = /"msg": (".*")\n/.exec(stdout);
  if (m.exitCode !== 0 || !line) return { ...m, ok: false, why: `exit ${m.exitCode}: ${stdout.slice(-300)}` };
  const got = new Map(Object.entries(JSON.parse(JSON.parse(line[1]!) as string) as Record<string, string>));
  const why = compare(got, inputs.expected);
  return { ...m, ok: why === undefined, ...(why ? { why } : {}) };
}

const rows: string[] = [];
const goals: string[] = [];
const work = join(ROOT, '.bench', 'import');
await rm(work, { recursive: true, force: true });
for (const size of sizes) {
  for (const format of ['atmosphere', 'kubespray'] as Format[]) {
    const dir = join(work, `${format}-${size}`);
    const inputs = format === 'atmosphere' ? await atmosphereRole(dir, size) : await kubesprayDefaults(dir, size);
    if (format === 'kubespray') for (const n of KUBEADM) inputs.expected.set(n, `registry.k8s.io/${n}:v1.30.4`);
    const results: Record<Tool, Run[]> = { airlock: [], ansible: [] };
    for (let r = 0; r < runs; r++) {
      // Alternate who goes first, so neither always runs on a warm page cache.
      const order: Tool[] = r % 2 === 0 ? ['airlock', 'ansible'] : ['ansible', 'airlock'];
      for (const tool of order) {
        const run = tool === 'airlock' ? await airlockRun(format, inputs, dir, `${tool}-${r}`) : await ansibleRun(format, inputs, dir, `${tool}-${r}`);
        results[tool].push(run);
        process.stderr.write(`${format} ${size} ${tool} run ${r + 1}: ${run.wallS.toFixed(2)} s, RSS ${(run.peakRssBytes / 1e6).toFixed(0)} MB, ${run.ok ? 'checked' : `FAILED: ${run.why}`}\n`);
      }
    }
    const med = (tool: Tool, f: (r: Run) => number) => {
      const ok = results[tool].filter((r) => r.ok);
      return ok.length > 0 ? median(ok.map(f)) : undefined;
    };
    const a = med('airlock', (r) => r.wallS);
    const b = med('ansible', (r) => r.wallS);
    const fmt = (x: number | undefined, unit: string) => (x === undefined ? 'FAILED' : `${x.toFixed(2)} ${unit}`);
    const rss = med('airlock', (r) => r.peakRssBytes / 1e6);
    rows.push(`| ${format} | ${size} | ${fmt(a, 's')} | ${fmt(b, 's')} | ${a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : 'n/a'} | ${rss === undefined ? 'FAILED' : rss.toFixed(0)} |`);
    if (size === 20000) goals.push(`${format} 20,000 images under ${GOAL_S} s: ${a === undefined ? 'FAILED' : `${a.toFixed(2)} s ${a < GOAL_S ? 'PASS' : 'MISS'}`}`);
  }
}
process.stdout.write(['', '| format | images | airlock s | Ansible s | ratio | airlock RSS MB |', '| --- | --- | --- | --- | --- | --- |', ...rows, '', ...goals, ''].join('\n'));
