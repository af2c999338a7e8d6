/**
 * `npm run bench:audit [-- --pods 5000 --images 2000 --runs 5]`: `airlock audit` of a
 * recorded cluster against a lock, beside the one-liner operators run today
 * (`kubectl get pods -A -o jsonpath=... | tr | sort | uniq -c`), on the same pods, in one
 * run. The pods are served by the API stand-in the tests prove faithful with kubectl
 * (HTTPS, token, 500-pod pages for both clients); airlock also reads them from a file.
 * Each run's output is checked (every pod seen, exactly the injected findings; the one-liner
 * counts every distinct image); a failed run is dropped and said. The goal: the API audit
 * under 2 s with peak RSS under 200 MB.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kubeconfig, startKubeApi } from '../test/helpers/kube-api.js';
import { makeCa, makeServerCert } from '../test/helpers/openssl.js';
import { fakeDigest, podOf } from '../test/helpers/pods.js';
import { measure, type Measured } from './measure.js';
import { median } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AIRLOCK = join(ROOT, 'dist', 'cli', 'main.js');
const REG = 'registry.local:5000/mirror';
const log = (m: string) => process.stderr.write(`${m}\n`);

/** A lock of `n` images and `pods` pods using them, with drift injected at known places. */
function generate(n: number, podCount: number): { lock: string; pods: unknown[]; expectedFindings: number; distinctImages: number } {
  const lines = ['version: 1', 'images:'];
  const images: { name: string; digest: string }[] = [];
  for (let i = 0; i < n; i++) {
    const key = `img_${String(i).padStart(5, '0')}`;
    const digest = fakeDigest(key);
    const name = `openstack/service-${i}`;
    images.push({ name, digest });
    lines.push(`  ${key}:`, `    source: quay.io/${name}:2024.1@${digest}`, `    tag: "2024.1"`, `    digest: ${digest}`, '    mediaType: application/vnd.oci.image.manifest.v1+json', '    size: 1000', `    destination: ${REG}/${name}:2024.1`, `    origin: {template: "quay.io/${name}:2024.1"}`);
  }
  const pods: unknown[] = [];
  let expectedFindings = 0;
  const distinct = new Set<string>();
  for (let p = 0; p < podCount; p++) {
    const img = images[p % n]!;
    const side = images[(p * 7 + 3) % n]!;
    let main = { name: 'main', image: `${REG}/${img.name}:2024.1@${img.digest}`, imageID: `${REG}/${img.name}@${img.digest}` };
    if (p % 100 === 0) {
      // By tag, and the tag moved: tag-only + digest-drift.
      main = { name: 'main', image: `${REG}/${img.name}:2024.1`, imageID: `${REG}/${img.name}@${fakeDigest(`moved-${p}`)}` };
      expectedFindings += 2;
    } else if (p % 250 === 1) {
      // Straight from the internet, not in the lock: registry-not-allowed + not-in-lock (nothing to pin it to).
      main = { name: 'main', image: `docker.io/library/debug-${p}:latest`, imageID: `docker.io/library/debug-${p}@${fakeDigest(`debug-${p}`)}` };
      expectedFindings += 2;
    }
    const sidecar = { name: 'sidecar', image: `${REG}/${side.name}:2024.1@${side.digest}`, imageID: `${REG}/${side.name}@${side.digest}` };
    const init = { name: 'init', image: `${REG}/${images[0]!.name}:2024.1@${images[0]!.digest}`, imageID: `docker-pullable://${REG}/${images[0]!.name}@${images[0]!.digest}` };
    for (const c of [main, sidecar, init]) distinct.add(c.image);
    pods.push(podOf(`ns-${p % 40}`, `pod-${p}`, [main, sidecar], { init: [init] }));
  }
  // The one-liner lists spec.containers only (not init containers), as it is written.
  const oneLinerImages = new Set<string>();
  for (const pod of pods as { spec: { containers: { image: string }[] } }[]) for (const c of pod.spec.containers) oneLinerImages.add(c.image);
  return { lock: `${lines.join('\n')}\n`, pods, expectedFindings, distinctImages: oneLinerImages.size };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pods: { type: 'string', default: '5000' }, images: { type: 'string', default: '2000' }, runs: { type: 'string', default: '5' } } });
  const podCount = Number(values.pods);
  const imageCount = Number(values.images);
  const runs = Number(values.runs);
  const work = await mkdtemp(join(tmpdir(), 'airlock-bench-audit-'));
  const { lock, pods, expectedFindings, distinctImages } = generate(imageCount, podCount);
  const lockFile = join(work, 'images.lock.yaml');
  const podsFile = join(work, 'pods.json');
  await writeFile(lockFile, lock);
  await writeFile(podsFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }));
  const ca = await makeCa(work);
  const api = await startKubeApi(pods, await makeServerCert(work, ca), { tokens: ['bench-token'] });
  const config = join(work, 'kubeconfig');
  await writeFile(config, kubeconfig(api.url, ca.certFile, { token: 'bench-token' }));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(work, 'home') };
  const oneLiner = `kubectl --kubeconfig ${config} get pods -A -o jsonpath='{.items[*].spec.containers[*].image}' | tr -s '[[:space:]]' '\\n' | sort | uniq -c`;
  const cases: Record<string, { cmd: string; args: string[]; check: (out: string) => string | undefined }> = {
    'airlock audit (API)': { cmd: process.execPath, args: [AIRLOCK, 'audit', '--lock', lockFile, '--kubeconfig', config, '--json'], check: auditCheck },
    'airlock audit (-f file)': { cmd: process.execPath, args: [AIRLOCK, 'audit', '--lock', lockFile, '-f', podsFile, '--json'], check: auditCheck },
    'kubectl | sort | uniq -c': {
      cmd: 'bash',
      args: ['-c', oneLiner],
      check: (out) => {
        const lines = out.trim().split('\n');
        const total = lines.reduce((n, l) => n + Number(l.trim().split(/\s+/)[0]), 0);
        return lines.length === distinctImages && total === podCount * 2 ? undefined : `${lines.length} images (want ${distinctImages}), ${total} containers (want ${podCount * 2})`;
      },
    },
  };
  function auditCheck(out: string): string | undefined {
    const j = JSON.parse(out) as { pods: number; findings: unknown[] };
    return j.pods === podCount && j.findings.length === expectedFindings ? undefined : `${j.pods} pods, ${j.findings.length} findings (want ${podCount}, ${expectedFindings})`;
  }
  const results: Record<string, Measured[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  try {
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? Object.keys(cases) : Object.keys(cases).reverse();
      for (const name of order) {
        const c = cases[name]!;
        const base = join(work, `run-${r}-${name.replace(/[^a-z]+/gi, '-')}`);
        const m = await measure(c.cmd, c.args, env, base);
        const { readFile } = await import('node:fs/promises');
        const problem = c.check(await readFile(`${base}.out`, 'utf8').catch(() => ''));
        if (problem) log(`run ${r + 1} ${name}: dropped: ${problem} (exit ${m.exitCode})`);
        else results[name]!.push(m);
      }
    }
  } finally {
    await api.stop();
    await rm(work, { recursive: true, force: true });
  }
  const lines = [`audit of ${podCount} pods (3 containers each, 1 init) against a lock of ${imageCount} images; medians of the good runs of ${runs}`, ''];
  lines.push(`${'case'.padEnd(28)} ${'runs'.padStart(4)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(7)} ${'RSS MB'.padStart(7)}`);
  const med = (name: string, f: (m: Measured) => number) => median(results[name]!.map(f));
  for (const name of Object.keys(cases)) {
    if (results[name]!.length === 0) {
      lines.push(`${name.padEnd(28)} no good run`);
      continue;
    }
    lines.push(`${name.padEnd(28)} ${String(results[name]!.length).padStart(4)} ${med(name, (m) => m.wallS).toFixed(2).padStart(8)} ${med(name, (m) => m.userS + m.sysS).toFixed(2).padStart(7)} ${(med(name, (m) => m.peakRssBytes) / 1e6).toFixed(0).padStart(7)}`);
  }
  const api_ = results['airlock audit (API)']!;
  const one = results['kubectl | sort | uniq -c']!;
  if (api_.length > 0 && one.length > 0) lines.push('', `ratio one-liner / airlock audit (API), wall: ${(med('kubectl | sort | uniq -c', (m) => m.wallS) / med('airlock audit (API)', (m) => m.wallS)).toFixed(2)}x (the one-liner only counts images; the audit checks every container against the lock)`);
  if (api_.length > 0) {
    const wall = med('airlock audit (API)', (m) => m.wallS);
    const rss = med('airlock audit (API)', (m) => m.peakRssBytes) / 1e6;
    lines.push(`goal: audit (API) of ${podCount} pods under 2 s and 200 MB: ${wall.toFixed(2)} s, ${rss.toFixed(0)} MB: ${wall < 2 && rss < 200 ? 'PASS' : 'MISS'}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
