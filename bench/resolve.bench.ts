/**
 * Resolve benchmark: a set of images (default 500) in a local Distribution registry,
 * resolved to digests by `airlock resolve` and, side by side on the same registry, by the
 * usual scripted way: `skopeo inspect` per image, 8 at a time (`xargs -P 8`). Two cases:
 * plain tags, and `tag_from_label` (read each image's labels, then pin the versioned tag).
 *
 *   npm run bench:resolve [-- --images 500 --runs 3]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { makeImage } from '../test/helpers/fixtures.js';
import { RegistryPool } from '../src/transport/registry/pool.js';
import { startBenchRegistry } from './registry.js';
import { makeSandbox, measure, type Measured } from './measure.js';
import { median } from './report.js';

const { values } = parseArgs({
  options: { images: { type: 'string', default: '500' }, runs: { type: 'string', default: '3' } },
});
const count = Number(values.images);
const runs = Number(values.runs);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const registry = await startBenchRegistry('resolve');
const work = await mkdtemp(join(tmpdir(), 'airlock-bench-resolve-'));
const sandbox = await makeSandbox();
try {
  // Seed: `count` images over count/5 repositories; each has a floating tag and the
  // versioned tag its labels name, as a TripleO-style tag_from_label set expects.
  log(`seeding ${count} images into ${registry.host}`);
  const pool = new RegistryPool({});
  const client = pool.client(registry.host);
  const shared = { seed: 'resolve-bench/base', size: 4096 };
  const limit = pLimit(8);
  const names: { key: string; repo: string; tag: string }[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      limit(async () => {
        const repo = `bench/r${String(i % Math.max(1, Math.floor(count / 5))).padStart(3, '0')}`;
        const tag = `t${i}`;
        const image = makeImage({ seed: `resolve-bench/${i}`, layers: [shared], labels: { version: '1.0', release: String(i) } });
        for (const b of [image.configDesc, ...image.layers.map((l) => l.desc)]) {
          if ((await client.headBlob(repo, b.digest)) !== null) continue;
          const bytes = b === image.configDesc ? image.config : image.layers.find((l) => l.desc === b)!.bytes!;
          await client.uploadBlob(repo, b, bytes);
        }
        for (const t of [tag, `1.0-${i}`]) await client.putManifest(repo, t, image.manifest, image.manifestDesc.mediaType);
        names.push({ key: `img_${String(i).padStart(4, '0')}`, repo, tag });
      }),
    ),
  );
  await pool.close();
  names.sort((a, b) => a.key.localeCompare(b.key));

  const plainSet = join(work, 'images.yaml');
  const labelSet = join(work, 'images-labels.yaml');
  const images = names.map((n) => `  ${n.key}: "${registry.host}/${n.repo}:${n.tag}"`).join('\n');
  await writeFile(plainSet, `version: 1\nimages:\n${images}\n`);
  await writeFile(labelSet, `version: 1\nimages:\n${images}\nrules:\n  - tag_from_label: "{version}-{release}"\n`);
  const refs = join(work, 'refs.txt');
  await writeFile(refs, names.map((n) => `docker://${registry.host}/${n.repo}:${n.tag}`).join('\n') + '\n');

  const airlock = (set: string) => ['dist/cli/main.js', 'resolve', set, '-o', join(work, 'lock.yaml')];
  const skopeoLoop = [
    '-c',
    `xargs -P 8 -n 1 skopeo ${sandbox.skopeoGlobal.join(' ')} inspect --tls-verify=false --format '{{.Digest}}' < ${refs} > /dev/null`,
  ];
  const results: Record<string, Measured[]> = { 'airlock plain': [], 'skopeo plain': [], 'airlock labels': [] };
  for (let r = 1; r <= runs; r++) {
    results['airlock plain']!.push(await measure('node', airlock(plainSet), sandbox.env, join(work, `a${r}`)));
    results['skopeo plain']!.push(await measure('sh', skopeoLoop, sandbox.env, join(work, `s${r}`)));
    results['airlock labels']!.push(await measure('node', airlock(labelSet), sandbox.env, join(work, `l${r}`)));
    log(`round ${r}/${runs} done`);
  }
  const failed = Object.entries(results).filter(([, ms]) => ms.some((m) => m.exitCode !== 0));
  if (failed.length > 0) log(`FAILED runs: ${failed.map(([k]) => k).join(', ')} (logs in ${work})`);
  const wall = (k: string) => median(results[k]!.map((m) => m.wallS));
  const cpu = (k: string) => median(results[k]!.map((m) => m.userS + m.sysS));
  const lines = [
    `resolve ${count} images against a local Distribution registry; medians of ${runs} runs`,
    '',
    'case                      wall s   CPU s',
    ...Object.keys(results).map((k) => `${k.padEnd(24)} ${wall(k).toFixed(2).padStart(7)} ${cpu(k).toFixed(2).padStart(7)}`),
    '',
    `airlock/skopeo (plain tags): ${(wall('airlock plain') / wall('skopeo plain')).toFixed(2)}x wall`,
    `goal: ${count} plain tags resolve in a few seconds (<= 5 s): ${wall('airlock plain') <= 5 ? 'PASS' : 'MISS'} (${wall('airlock plain').toFixed(2)} s)`,
    `tag_from_label (3 requests per image: GET manifest by tag, GET config, HEAD of the versioned tag): ${wall('airlock labels').toFixed(2)} s ` +
      `${wall('airlock labels') <= 5 ? 'PASS' : 'MISS'} against the same 5 s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await registry.stop();
  await sandbox.remove();
  await rm(work, { recursive: true, force: true });
}
