import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Annotations } from '../../oci/descriptor.js';
import { OciLayout } from './layout.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

// Each child opens (creating) the layout, waits for the parent's go (so both really
// overlap), then names 20 images, one index update at a time.
const childScript = (layoutModule: string) => `
import { OciLayout } from ${JSON.stringify(layoutModule)};
const [dir, prefix] = process.argv.slice(2);
const layout = await OciLayout.open(dir, { create: true });
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
for (let i = 0; i < 20; i++) {
  await layout.setRef(prefix + '-' + i, {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: 'sha256:' + (prefix === 'a' ? 'a' : 'b').repeat(64),
    size: i,
  });
}
`;

interface Child {
  ready: Promise<void>;
  done: Promise<void>;
  go(): void;
}

function startChild(script: string, dir: string, prefix: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, prefix], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${prefix} exited ${code}: ${stderr}`))));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    done.catch(reject);
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-layout-procs-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

it('keeps every entry when two processes update the same index.json at once', async () => {
  const script = path.join(tmp, 'child.mts');
  await fs.writeFile(script, childScript(pathToFileURL(path.join(here, 'layout.ts')).href));
  const dir = path.join(tmp, 'layout');
  const children = [startChild(script, dir, 'a'), startChild(script, dir, 'b')];
  await Promise.all(children.map((c) => c.ready));
  // This process has the index in memory before the others write...
  const watcher = await OciLayout.open(dir);
  expect(await watcher.findRef('b-7')).toBeNull();
  for (const c of children) c.go();
  await Promise.all(children.map((c) => c.done));

  const raw = await fs.readFile(path.join(dir, 'index.json'), 'utf8');
  const index = JSON.parse(raw) as { manifests: Array<{ annotations: Record<string, string>; size: number }> };
  const names = index.manifests.map((m) => m.annotations[Annotations.refName]).sort();
  const expected = ['a', 'b'].flatMap((p) => Array.from({ length: 20 }, (_, i) => `${p}-${i}`)).sort();
  expect(names).toEqual(expected);
  for (const m of index.manifests) expect(m.annotations[Annotations.containerdName]).toBe(m.annotations[Annotations.refName]);
  // ...and sees what they wrote on its next lookup.
  expect((await watcher.findRef('b-7'))?.digest).toBe(`sha256:${'b'.repeat(64)}`);
  expect((await watcher.listRefs()).map((r) => r.name).sort()).toEqual(expected);
  // No lock or temp file left behind.
  expect(await fs.readdir(path.join(dir, '.airlock'))).toEqual([]);
});
