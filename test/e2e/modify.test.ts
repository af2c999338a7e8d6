/**
 * `airlock modify` against a real Distribution registry, read back with skopeo: a multi-arch
 * base from the samples gets files appended (a directory and a gzip tar), a path removed and
 * its config changed; every platform keeps its base layers byte for byte (none re-sent), the
 * new layers' tar contents are checked file by file, the digest is the same on a rerun and
 * for a second destination (deterministic), and bad input writes nothing.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { sideFor, skopeoCopy, skopeoManifestBytes } from '../helpers/skopeo.js';
import { imageResults, makeCliSandbox, PROJECT_ROOT, show, type CliSandbox } from './cli.js';

let sb: CliSandbox;
let R: TestRegistry;
let work: string;
const BASE = 'registry.example.org/openstack/keystone-api:2024.1';
const execFileP = promisify(execFile);
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  mtime: number;
  content: string;
}

/** The entries of a tar, in order. */
async function entriesOf(bytes: Buffer): Promise<Entry[]> {
  const out: Entry[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? -1, mtime: h.mtime?.getTime() ?? -1, content: Buffer.concat(chunks).toString() });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(bytes);
  await done;
  return out;
}

/** An OCI layout skopeo wrote: its blobs by digest, and the root manifest. */
async function layoutOf(dir: string) {
  const blob = (d: string) => readFile(join(dir, 'blobs', 'sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  return { blob, root: index.manifests[0]!.digest };
}

type Manifest = { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
type Config = {
  created?: string;
  config: { User?: string; Env?: string[]; Labels?: Record<string, string>; WorkingDir?: string; Cmd?: string[] };
  rootfs: { diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
};

/** A single-platform image read back from the registry with skopeo: digest, manifest, config, and the entries of a layer. */
async function readBack(ref: string) {
  const out = join(work, `back-${sha(Buffer.from(ref)).slice(7, 19)}`);
  await rm(out, { recursive: true, force: true });
  await skopeoCopy(`docker://${ref}`, `oci:${out}:x`, { src: sideFor(R) });
  const l = await layoutOf(out);
  const manifest = JSON.parse((await l.blob(l.root)).toString()) as Manifest;
  const configText = (await l.blob(manifest.config.digest)).toString();
  const tar = async (i: number) => gunzipSync(await l.blob(manifest.layers[i]!.digest));
  return { digest: l.root, manifest, config: JSON.parse(configText) as Config, configText, tar, layer: async (i: number) => entriesOf(await tar(i)) };
}

/** The regular files of a layer by name (no leading ./ or /), with their contents. */
function filesOf(entries: Entry[]): Map<string, string> {
  return new Map(entries.filter((e) => e.type === 'file').map((e) => [e.name.replace(/^\.?\//, ''), e.content]));
}

/** A tar holding one entry with this header. */
async function tarWith(header: Parameters<ReturnType<typeof tar.pack>['entry']>[0]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  pack.entry(header);
  pack.finalize();
  await new Promise<void>((r) => pack.on('end', () => r()));
  return Buffer.concat(chunks);
}

/** An OCI layout holding one empty image (no layers), named `scratch`. */
async function scratchLayout(): Promise<string> {
  const scratch = join(work, 'scratch');
  await mkdir(join(scratch, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer) => (await writeFile(join(scratch, 'blobs', 'sha256', sha(b).slice(7)), b), { digest: sha(b), size: b.length });
  const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-02-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: [] } })));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [] }));
  const m = await put(manifest);
  await writeFile(join(scratch, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(scratch, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'scratch' } }] }));
  return scratch;
}

let busybox: Promise<void> | undefined;

/** `${R.host}/busybox/base:1`, made once: an empty image, then busybox (static) as its only layer, `Cmd ["/bin/sh"]`. */
function busyboxBase(): Promise<void> {
  busybox ??= (async () => {
    const scratch = await scratchLayout();
    const rootfs = join(work, 'rootfs');
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await writeFile(join(rootfs, 'bin', 'busybox'), await readFile('/bin/busybox'));
    await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
    await symlink('busybox', join(rootfs, 'bin', 'sh'));
    const made = await sb.run(['modify', `oci:${scratch}:scratch`, `${R.host}/busybox/base:1`, '--append', `${rootfs}:/`, '--cmd', '["/bin/sh"]']);
    expect(made.code, show(made)).toBe(0);
  })();
  return busybox;
}

beforeAll(async () => {
  [sb, R] = await Promise.all([makeCliSandbox(), startRegistry()]);
  work = await mkdtemp(join(tmpdir(), 'airlock-modify-'));
  const r = await sb.run(['copy', `oci:samples/layout:${BASE}`, `docker://${R.host}/base/keystone-api:2024.1`], { cwd: PROJECT_ROOT });
  expect(r.code, show(r)).toBe(0);
});

afterAll(async () => {
  await Promise.all([R?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('airlock modify', () => {
  it('appends a directory and a tar, removes a path, sets the config; base layers kept and not re-sent; skopeo reads back every platform', async () => {
    const dir = join(work, 'fix');
    await mkdir(join(dir, 'bin'), { recursive: true });
    await writeFile(join(dir, 'bin', 'tool'), '#!/bin/sh\necho fixed\n');
    await chmod(join(dir, 'bin', 'tool'), 0o755);
    await writeFile(join(dir, 'README'), 'hotfix notes\n');
    // A gzip tar made here, with an owner and a time the layer must not keep.
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.entry({ name: './conf/app.ini', mode: 0o640, uid: 1000, gid: 1000, mtime: new Date('2024-05-01') }, 'debug = true\n');
    pack.finalize();
    await new Promise<void>((r) => pack.on('end', () => r()));
    const tgz = join(work, 'conf.tar.gz');
    await writeFile(tgz, gzipSync(Buffer.concat(chunks)));

    const args = [
      'modify', '--json', `${R.host}/base/keystone-api:2024.1`, `${R.host}/base/keystone-api`, '--tag-suffix', '-hotfix',
      '--append', `${dir}:/opt/fix`, '--append', `${tgz}:/etc/keystone`, '--remove', '/etc/motd', '--remove', '/usr/share/doc',
      '--label', 'hotfix=LP123', '--env', 'FIXED=1', '--user', '42', '--workdir', '/opt/fix', '--entrypoint', '["/opt/fix/bin/tool"]', '--cmd', 'echo hi',
    ];
    const r = await sb.run(args);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    expect(result.status).toBe('copied');
    // Two platforms: a config each, and three new layers shared; every base layer was already there.
    expect(result.blobsSent).toBe(2 + 3);

    const out = join(work, 'read-back');
    await skopeoCopy(`docker://${R.host}/base/keystone-api:2024.1-hotfix`, `oci:${out}:x`, { all: true, src: sideFor(R) });
    const baseOut = join(work, 'base-back');
    await skopeoCopy(`docker://${R.host}/base/keystone-api:2024.1`, `oci:${baseOut}:x`, { all: true, src: sideFor(R) });
    const mod = await layoutOf(out);
    const base = await layoutOf(baseOut);
    expect(mod.root).toBe(result.digest);
    const modIndex = JSON.parse((await mod.blob(mod.root)).toString()) as { manifests: { digest: string; platform: { architecture: string } }[] };
    const baseIndex = JSON.parse((await base.blob(base.root)).toString()) as typeof modIndex;
    expect(modIndex.manifests.map((m) => m.platform)).toEqual(baseIndex.manifests.map((m) => m.platform));
    for (const [i, child] of modIndex.manifests.entries()) {
      type M = { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
      const m = JSON.parse((await mod.blob(child.digest)).toString()) as M;
      const b = JSON.parse((await base.blob(baseIndex.manifests[i]!.digest)).toString()) as M;
      expect(m.layers.slice(0, b.layers.length)).toEqual(b.layers);
      const added = m.layers.slice(b.layers.length);
      expect(added).toHaveLength(3);
      const tars = await Promise.all(added.map(async (l) => gunzipSync(await mod.blob(l.digest))));
      const config = JSON.parse((await mod.blob(m.config.digest)).toString()) as {
        architecture: string;
        config: { Labels: Record<string, string>; Env: string[]; User: string; WorkingDir: string; Entrypoint: string[]; Cmd: string[] };
        rootfs: { diff_ids: string[] };
        history: { created_by: string }[];
      };
      const baseConfig = JSON.parse((await base.blob(b.config.digest)).toString()) as typeof config;
      expect(config.architecture).toBe(baseConfig.architecture);
      expect(config.rootfs.diff_ids).toEqual([...baseConfig.rootfs.diff_ids, ...tars.map(sha)]);
      expect(config.config.Labels).toMatchObject({ ...baseConfig.config.Labels, hotfix: 'LP123' });
      expect(config.config.Env).toContain('FIXED=1');
      expect(config.config).toMatchObject({ User: '42', WorkingDir: '/opt/fix', Entrypoint: ['/opt/fix/bin/tool'], Cmd: ['/bin/sh', '-c', 'echo hi'] });
      expect(config.history.slice(-3).map((h) => h.created_by)).toEqual(['airlock modify --append /opt/fix', 'airlock modify --append /etc/keystone', 'airlock modify --remove /etc/motd /usr/share/doc']);
      const [fixLayer, confLayer, whiteouts] = await Promise.all(tars.map(entriesOf));
      expect(fixLayer!.map((e) => [e.name, e.type, e.mode.toString(8), e.content])).toEqual([
        ['opt/fix/', 'directory', '755', ''],
        ['opt/fix/README', 'file', '644', 'hotfix notes\n'],
        ['opt/fix/bin/', 'directory', '755', ''],
        ['opt/fix/bin/tool', 'file', '755', '#!/bin/sh\necho fixed\n'],
      ]);
      expect(confLayer!.map((e) => [e.name, e.mode.toString(8), e.uid, e.mtime, e.content])).toEqual([
        ['etc/keystone/', '755', 0, 0, ''],
        ['etc/keystone/conf/app.ini', '640', 0, 0, 'debug = true\n'],
      ]);
      expect(whiteouts!.map((e) => e.name)).toEqual(['etc/.wh.motd', 'usr/share/.wh.doc']);
    }

    // The same base and inputs give the same digest: a rerun writes nothing, another destination gets the same image.
    const again = await sb.run(args);
    expect(imageResults(again.stdout)[0]).toMatchObject({ status: 'up-to-date', digest: result.digest, blobsSent: 0 });
    const other = await sb.run([...args.slice(0, 3), `${R.host}/elsewhere/keystone-api:fixed`, ...args.slice(6)]);
    expect(other.code, show(other)).toBe(0);
    expect(imageResults(other.stdout)[0]).toMatchObject({ status: 'copied', digest: result.digest, blobsSent: 0 });
  });

  it('refuses bad input with MODIFY_INPUT_INVALID or USAGE (exit 2) and writes nothing', async () => {
    const evil = join(work, 'evil.tar');
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.entry({ name: '../../escape' }, 'x');
    pack.finalize();
    await new Promise<void>((r) => pack.on('end', () => r()));
    await writeFile(evil, Buffer.concat(chunks));
    // Device files and FIFOs, in a tar and in a directory.
    const specials: string[] = [];
    for (const [type, name] of [['character-device', 'dev/null'], ['block-device', 'dev/sda'], ['fifo', 'run/pipe']] as const) {
      const file = join(work, `${type}.tar`);
      await writeFile(file, await tarWith({ name, type, devmajor: 1, devminor: 3 }));
      specials.push(file);
    }
    const withFifo = join(work, 'with-fifo');
    await mkdir(withFifo, { recursive: true });
    await execFileP('mkfifo', [join(withFifo, 'pipe')]);
    const noContainerfile = join(work, 'no-containerfile');
    await mkdir(noContainerfile, { recursive: true });
    await writeFile(join(noContainerfile, 'Containerfile.txt'), 'FROM x\n');
    const noFrom = join(work, 'no-from');
    await mkdir(noFrom, { recursive: true });
    await writeFile(join(noFrom, 'Containerfile'), 'RUN true\n');
    const noRepos = join(work, 'no-repos');
    await mkdir(noRepos, { recursive: true });
    await writeFile(join(noRepos, 'epel.conf'), '[epel]\n');
    const cases: [string[], RegExp][] = [
      [['--append', join(work, 'missing')], /MODIFY_INPUT_INVALID.*no such file or directory/],
      [['--append', evil], /MODIFY_INPUT_INVALID.*climbs/],
      [['--append', specials[0]!], /MODIFY_INPUT_INVALID.*dev\/null" is a character-device/],
      [['--append', specials[1]!], /MODIFY_INPUT_INVALID.*dev\/sda" is a block-device/],
      [['--append', specials[2]!], /MODIFY_INPUT_INVALID.*run\/pipe" is a fifo/],
      [['--append', withFifo], /MODIFY_INPUT_INVALID.*pipe: not a file, directory or symlink/],
      [['--containerfile', noContainerfile], /MODIFY_INPUT_INVALID.*no Containerfile or Dockerfile in it/],
      [['--containerfile', join(work, 'missing')], /MODIFY_INPUT_INVALID.*--containerfile .*no such directory/],
      [['--containerfile', noFrom], /MODIFY_INPUT_INVALID.*no FROM line/],
      [['--update', noRepos], /MODIFY_INPUT_INVALID.*no \.repo file in it/],
      [['--update', join(work, 'missing')], /MODIFY_INPUT_INVALID.*--update .*no such directory/],
      [['--remove', '/a/../../b'], /MODIFY_INPUT_INVALID/],
      [['--label', 'novalue'], /MODIFY_INPUT_INVALID/],
      [['--entrypoint', '[1, 2]'], /MODIFY_INPUT_INVALID/],
      [[], /USAGE.*nothing to modify/],
    ];
    for (const [ops, message] of cases) {
      const r = await sb.run(['modify', `${R.host}/base/keystone-api:2024.1`, `${R.host}/refused/keystone-api:x`, ...ops]);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr, show(r)).toMatch(message);
    }
    const tags = await fetch(`${R.url}/v2/refused/keystone-api/tags/list`);
    expect(tags.status).toBe(404);
  });

  it('without buildah on PATH, the buildah steps are BUILD_FAILED saying how to install it (exit 1), and nothing is pushed', async () => {
    await busyboxBase();
    const emptyBin = join(work, 'empty-bin');
    await mkdir(emptyBin, { recursive: true });
    const custom = join(work, 'custom-nobuildah');
    await mkdir(custom, { recursive: true });
    await writeFile(join(custom, 'Containerfile'), 'FROM x\nRUN true\n');
    for (const step of [['--run', 'true'], ['--containerfile', custom]]) {
      const r = await sb.run(['modify', `${R.host}/busybox/base:1`, `${R.host}/refused/nobuildah:1`, ...step], { env: { PATH: emptyBin } });
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr, show(r)).toMatch(/BUILD_FAILED.*buildah.*not on PATH.*apt-get install buildah/);
    }
    expect((await fetch(`${R.url}/v2/refused/nobuildah/tags/list`)).status).toBe(404);
  });

  it('an image set rule modifies its images: the lock records base, modification and result; mirror makes exactly that image; a changed input makes the lock stale', async () => {
    const dir = join(work, 'set');
    await mkdir(join(dir, 'fix'), { recursive: true });
    await writeFile(join(dir, 'fix', 'patch.py'), 'print("fixed")\n');
    const set = join(dir, 'images.yaml');
    const lockFile = join(dir, 'images.lock.yaml');
    await writeFile(
      set,
      [
        'images:',
        `  keystone: ${R.host}/base/keystone-api:2024.1`,
        'rules:',
        `  - push_destination: ${R.host}/mirror`,
        '    modify:',
        '      tag_suffix: -hotfix',
        '      steps:',
        '        - append: fix:/opt/fix',
        '        - label: hotfix=LP123',
        '',
      ].join('\n'),
    );
    const resolved = await sb.run(['resolve', set, '-o', lockFile]);
    expect(resolved.code, show(resolved)).toBe(0);
    const lockText = await readFile(lockFile, 'utf8');
    expect(lockText).toContain(`destination: ${R.host}/mirror/base/keystone-api:2024.1-hotfix`);
    const result = /result: (sha256:[0-9a-f]{64})/.exec(lockText)![1]!;
    expect(lockText).toMatch(/modification: sha256:[0-9a-f]{64}/);
    const mirrored = await sb.run(['mirror', '--json', lockFile]);
    expect(mirrored.code, show(mirrored)).toBe(0);
    expect(imageResults(mirrored.stdout)[0]).toMatchObject({ status: 'copied', digest: result });
    const head = await fetch(`${R.url}/v2/mirror/base/keystone-api/manifests/2024.1-hotfix`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(head.headers.get('docker-content-digest')).toBe(result);
    const again = await sb.run(['mirror', '--json', lockFile]);
    expect(imageResults(again.stdout)[0]).toMatchObject({ status: 'up-to-date', blobsSent: 0 });
    const listed = await sb.run(['render', lockFile, '--format', 'list']);
    expect(listed.stdout).toContain(`${R.host}/mirror/base/keystone-api:2024.1-hotfix@${result}`);
    // The same inputs: up to date. A changed input: stale, and the diff names the modification.
    expect((await sb.run(['resolve', set, '-o', lockFile, '--check'])).code).toBe(0);
    await writeFile(join(dir, 'fix', 'patch.py'), 'print("fixed again")\n');
    const stale = await sb.run(['resolve', set, '-o', lockFile, '--check']);
    expect(stale.code, show(stale)).not.toBe(0);
    expect(stale.stderr + stale.stdout).toMatch(/LOCK_STALE/);
    expect(stale.stdout).toMatch(/modification/);
    // The lock pins the result: mirror refuses to write what the changed input now gives.
    const refused = await sb.run(['mirror', lockFile, '--to', `${R.host}/stale`]);
    expect(refused.code, show(refused)).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/LOCK_STALE/);
    const none = await fetch(`${R.url}/v2/stale/base/keystone-api/manifests/2024.1-hotfix`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(none.status).toBe(404);
  });

  it('modify with platforms: the modified index filtered to the platforms kept is what the lock pins and mirror writes', async () => {
    const dir = join(work, 'set-platforms');
    await mkdir(join(dir, 'fix'), { recursive: true });
    await writeFile(join(dir, 'fix', 'patch.py'), 'print("amd64 only")\n');
    const set = join(dir, 'images.yaml');
    const lockFile = join(dir, 'images.lock.yaml');
    await writeFile(set, ['images:', `  keystone: {ref: "${R.host}/base/keystone-api:2024.1", platforms: [linux/amd64]}`, 'rules:', `  - push_destination: ${R.host}/kept`, '    modify: {tag_suffix: -hotfix, steps: [{append: "fix:/opt/fix"}]}', ''].join('\n'));
    const resolved = await sb.run(['resolve', set, '-o', lockFile]);
    expect(resolved.code, show(resolved)).toBe(0);
    const result = /result: (sha256:[0-9a-f]{64})/.exec(await readFile(lockFile, 'utf8'))![1]!;
    const mirrored = await sb.run(['mirror', '--json', lockFile]);
    expect(mirrored.code, show(mirrored)).toBe(0);
    expect(imageResults(mirrored.stdout)[0]).toMatchObject({ status: 'copied', digest: result });
    const index = JSON.parse((await skopeoManifestBytes(`docker://${R.host}/kept/base/keystone-api:2024.1-hotfix`, { tlsVerify: false })).toString('utf8')) as { manifests: { platform: { architecture: string } }[] };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64']);
    const again = await sb.run(['mirror', '--json', lockFile]);
    expect(imageResults(again.stdout)[0]).toMatchObject({ status: 'up-to-date' });
  });

  it('--run executes in the image through buildah: its files become one layer, the base stays byte for byte, the same run gives the same digest; a failing command writes nothing; --rpms installs packages with the image\'s rpm', async () => {
    await busyboxBase();

    const args = ['modify', '--json', `${R.host}/busybox/base:1`, `${R.host}/busybox/ran:1`, '--run', 'echo hello > /hello.txt && /bin/busybox mkdir -p /opt/x && echo made > /opt/x/file', '--label', 'ran=yes'];
    const r = await sb.run(args);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    expect(result.status).toBe('copied');
    const out = join(work, 'ran-back');
    await skopeoCopy(`docker://${R.host}/busybox/ran:1`, `oci:${out}:x`, { src: sideFor(R) });
    const baseOut = join(work, 'busybox-back');
    await skopeoCopy(`docker://${R.host}/busybox/base:1`, `oci:${baseOut}:x`, { src: sideFor(R) });
    const mod = await layoutOf(out);
    const base = await layoutOf(baseOut);
    type M = { config: { digest: string }; layers: { digest: string }[] };
    const mm = JSON.parse((await mod.blob(mod.root)).toString()) as M;
    const bm = JSON.parse((await base.blob(base.root)).toString()) as M;
    expect(mm.layers).toHaveLength(2);
    expect(mm.layers[0]).toEqual(bm.layers[0]);
    const entries = await entriesOf(gunzipSync(await mod.blob(mm.layers[1]!.digest)));
    const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.name.replace(/^\.?\//, ''), e.content]));
    expect(files.get('hello.txt')).toBe('hello\n');
    expect(files.get('opt/x/file')).toBe('made\n');
    expect([...files.keys()].some((n) => n.startsWith('bin/'))).toBe(false);
    const cfg = JSON.parse((await mod.blob(mm.config.digest)).toString()) as { config: { Labels: Record<string, string>; Cmd: string[] }; rootfs: { diff_ids: string[] } };
    expect(cfg.config).toEqual({ Cmd: ['/bin/sh'], Labels: { ran: 'yes' } });
    expect(cfg.rootfs.diff_ids[1]).toBe(sha(gunzipSync(await mod.blob(mm.layers[1]!.digest))));
    // The same command on the same base gives the same digest: the rerun writes nothing.
    const again = await sb.run(args);
    expect(imageResults(again.stdout)[0]).toMatchObject({ status: 'up-to-date', digest: result.digest });
    const failing = await sb.run(['modify', `${R.host}/busybox/base:1`, `${R.host}/busybox/failed:1`, '--run', 'exit 3']);
    expect(failing.code, show(failing)).toBe(1);
    expect(failing.stderr).toMatch(/BUILD_FAILED/);
    expect((await fetch(`${R.url}/v2/busybox/failed/tags/list`)).status).toBe(404);

    // --rpms: a package built here with rpmbuild, installed by the image's own rpm (busybox's applet), as root.
    const top = join(work, 'rpmbuild');
    await mkdir(join(top, 'SPECS'), { recursive: true });
    await writeFile(
      join(top, 'SPECS', 'hotfix.spec'),
      ['Name: airlock-hotfix', 'Version: 1.0', 'Release: 1', 'Summary: a hotfix', 'License: MIT', 'BuildArch: noarch', '%description', 'a hotfix',
        '%install', 'mkdir -p %{buildroot}/usr/share/hotfix', 'echo fixed > %{buildroot}/usr/share/hotfix/fixed.txt', '%files', '/usr/share/hotfix/fixed.txt', ''].join('\n'),
    );
    // gzip payload: what busybox's rpm reads.
    await execFileP('rpmbuild', ['-bb', '--define', `_topdir ${top}`, '--define', '_binary_payload w9.gzdio', join(top, 'SPECS', 'hotfix.spec')]);
    const rpms = join(top, 'RPMS', 'noarch');
    const installed = await sb.run(['modify', '--json', `${R.host}/busybox/base:1`, `${R.host}/busybox/base`, '--tag-suffix', '-rpms', '--rpms', rpms]);
    expect(installed.code, show(installed)).toBe(0);
    const rpmOut = join(work, 'rpm-back');
    await skopeoCopy(`docker://${R.host}/busybox/base:1-rpms`, `oci:${rpmOut}:x`, { src: sideFor(R) });
    const rl = await layoutOf(rpmOut);
    const rm2 = JSON.parse((await rl.blob(rl.root)).toString()) as M;
    expect(rm2.layers[0]).toEqual(bm.layers[0]);
    const rpmFiles = (await entriesOf(gunzipSync(await rl.blob(rm2.layers[1]!.digest)))).filter((e) => e.type === 'file');
    expect(rpmFiles.find((e) => e.name.endsWith('usr/share/hotfix/fixed.txt'))?.content).toBe('fixed\n');
    // The packages themselves are not left in the image.
    expect(rpmFiles.some((e) => e.name.endsWith('.rpm'))).toBe(false);
  });
  it('--containerfile builds DIR\'s Containerfile over the image with buildah bud: its FROM replaced (nothing pulled), its layer and config changes kept, buildah\'s own additions not; deterministic; DIR untouched; a failing build is BUILD_FAILED with its output and writes nothing', async () => {
    await busyboxBase();
    const dir = join(work, 'custom');
    await mkdir(join(dir, 'files'), { recursive: true });
    await writeFile(join(dir, 'files', 'patch.conf'), 'patched = yes\n');
    const containerfile = [
      "# an operator's Containerfile: the FROM below is replaced by the image being modified",
      'FROM registry.invalid/never/pulled:latest',
      'ENV FIXED=1',
      'LABEL hotfix=LP42',
      'USER 0',
      'RUN echo built > /built.txt',
      'COPY files/patch.conf /etc/app/patch.conf',
      'USER 1001',
      'WORKDIR /etc/app',
      'CMD ["/bin/sh", "-c", "cat /built.txt"]',
      '',
    ].join('\n');
    await writeFile(join(dir, 'Containerfile'), containerfile);
    const args = ['modify', '--json', `${R.host}/busybox/base:1`, `${R.host}/busybox/base`, '--tag-suffix', '-custom', '--containerfile', dir];
    const r = await sb.run(args);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    expect(result.status).toBe('copied');
    const base = await readBack(`${R.host}/busybox/base:1`);
    const mod = await readBack(`${R.host}/busybox/base:1-custom`);
    expect(mod.digest).toBe(result.digest);
    // The base's layers byte for byte, then the one layer the build made.
    const n = base.manifest.layers.length;
    expect(mod.manifest.layers.slice(0, n)).toEqual(base.manifest.layers);
    expect(mod.manifest.layers).toHaveLength(n + 1);
    const files = filesOf(await mod.layer(n));
    expect(files.get('built.txt')).toBe('built\n');
    expect(files.get('etc/app/patch.conf')).toBe('patched = yes\n');
    expect([...files.keys()].some((f) => f.startsWith('bin/'))).toBe(false);
    expect(mod.config.rootfs.diff_ids).toEqual([...base.config.rootfs.diff_ids, sha(await mod.tar(n))]);
    // The config: exactly what the Containerfile changed over the base's (no PATH buildah would add, no buildah label).
    expect(base.config.config).toEqual({ Cmd: ['/bin/sh'] });
    expect(mod.config.config).toEqual({ Cmd: ['/bin/sh', '-c', 'cat /built.txt'], Env: ['FIXED=1'], Labels: { hotfix: 'LP42' }, User: '1001', WorkingDir: '/etc/app' });
    expect(mod.config.created).toBe(base.config.created);
    // History: the Containerfile's instructions at the base's time, one of them carrying the layer; no temporary path anywhere.
    const added = mod.config.history!.slice(base.config.history!.length);
    expect(added.map((h) => h.created_by)).toContain('/bin/sh -c echo built > /built.txt');
    expect(added.filter((h) => !h.empty_layer)).toHaveLength(1);
    expect(added.every((h) => h.created === base.config.created)).toBe(true);
    expect(mod.configText).not.toMatch(/airlock-run-|io\.buildah|oci:\//);
    // DIR is only read.
    expect((await readdir(dir)).sort()).toEqual(['Containerfile', 'files']);
    expect(await readFile(join(dir, 'Containerfile'), 'utf8')).toBe(containerfile);
    // The same base and DIR give the same digest: the rerun writes nothing.
    const again = await sb.run(args);
    expect(imageResults(again.stdout)[0]).toMatchObject({ status: 'up-to-date', digest: result.digest, blobsSent: 0 });

    // A Dockerfile (no Containerfile) whose build fails: BUILD_FAILED with the build's own output, nothing written.
    const bad = join(work, 'custom-bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'Dockerfile'), 'FROM anything\nRUN echo boom-output-line && exit 7\n');
    const failing = await sb.run(['modify', `${R.host}/busybox/base:1`, `${R.host}/busybox/custom-failed:1`, '--containerfile', bad]);
    expect(failing.code, show(failing)).toBe(1);
    expect(failing.stderr).toMatch(/BUILD_FAILED/);
    expect(failing.stderr).toContain('boom-output-line');
    expect((await fetch(`${R.url}/v2/busybox/custom-failed/tags/list`)).status).toBe(404);
  });

  it('--update runs the image\'s own dnf as root with the repo files mounted at /etc/yum.repos.d (and file:// repositories where they are): none of them is left in the image, the config and user stay', async () => {
    await busyboxBase();
    // An RPM-style base: its own repo file, and /usr/bin/dnf a script that records how it ran and what it saw.
    const tree = join(work, 'rpm-tree');
    await mkdir(join(tree, 'usr', 'bin'), { recursive: true });
    await mkdir(join(tree, 'etc', 'yum.repos.d'), { recursive: true });
    await mkdir(join(tree, 'var', 'log'), { recursive: true });
    await writeFile(join(tree, 'etc', 'yum.repos.d', 'image-own.repo'), '[image-own]\nbaseurl=http://mirror.invalid/os\n');
    const dnf = [
      '#!/bin/sh',
      'log=/var/log/fake-dnf.log',
      'echo "args: $*" >> $log',
      'echo "uid: $(/bin/busybox id -u)" >> $log',
      'echo "cwd: $(pwd)" >> $log',
      'for f in /etc/yum.repos.d/*; do echo "repo: $f" >> $log; /bin/busybox cat "$f" >> $log; done',
      "for d in $(/bin/busybox sed -n 's|^baseurl=file://||p' /etc/yum.repos.d/*.repo); do echo \"local: $d: $(/bin/busybox ls $d)\" >> $log; done",
      '',
    ].join('\n');
    await writeFile(join(tree, 'usr', 'bin', 'dnf'), dnf);
    await chmod(join(tree, 'usr', 'bin', 'dnf'), 0o755);
    const made = await sb.run(['modify', `${R.host}/busybox/base:1`, `${R.host}/busybox/rpmbase:1`, '--append', `${tree}:/`, '--user', '1001', '--workdir', '/var']);
    expect(made.code, show(made)).toBe(0);
    // The operator's repo files, one naming a local repository.
    const local = join(work, 'localrepo');
    await mkdir(local, { recursive: true });
    await writeFile(join(local, 'hotfix-1.0.rpm'), 'not really a package');
    const repos = join(work, 'repos');
    await mkdir(repos, { recursive: true });
    const repoText = `[updates]\nbaseurl=http://updates.invalid/el9\n\n[local]\nbaseurl=file://${local}\n`;
    await writeFile(join(repos, 'operator.repo'), repoText);

    const args = ['modify', '--json', `${R.host}/busybox/rpmbase:1`, `${R.host}/busybox/rpmbase`, '--tag-suffix', '-updated', '--update', repos];
    const r = await sb.run(args);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    const base = await readBack(`${R.host}/busybox/rpmbase:1`);
    const mod = await readBack(`${R.host}/busybox/rpmbase:1-updated`);
    expect(mod.digest).toBe(result.digest);
    const n = base.manifest.layers.length;
    expect(mod.manifest.layers.slice(0, n)).toEqual(base.manifest.layers);
    expect(mod.manifest.layers).toHaveLength(n + 1);
    const entries = await mod.layer(n);
    expect(filesOf(entries).get('var/log/fake-dnf.log')).toBe(
      ['args: -y update', 'uid: 0', 'cwd: /', 'repo: /etc/yum.repos.d/operator.repo', repoText.trimEnd(), `local: ${local}: hotfix-1.0.rpm`, ''].join('\n'),
    );
    // Nothing of the mounts is in the layer: no repo file (nor a whiteout of the image's own), no mount point.
    const names = entries.map((e) => e.name.replace(/^\.?\//, ''));
    expect(names.filter((e) => /yum\.repos\.d\/./.test(e))).toEqual([]);
    expect(names.filter((e) => e === 'tmp/' || e.includes('localrepo') || e.includes(local.split('/')[2]!))).toEqual([]);
    // The config is the base's: same user and working directory; the layer's diff ID and history added.
    expect(mod.config.config).toEqual(base.config.config);
    expect(mod.config.config).toMatchObject({ User: '1001', WorkingDir: '/var' });
    expect(mod.config.rootfs.diff_ids).toEqual([...base.config.rootfs.diff_ids, sha(await mod.tar(n))]);
    expect(mod.config.history!.at(-1)!.created_by).toBe('airlock modify --update repos');
    // The same image and repo files give the same digest.
    const again = await sb.run(args);
    expect(imageResults(again.stdout)[0]).toMatchObject({ status: 'up-to-date', digest: result.digest });
  });

  it('an image set rule with containerfile and only_with_labels: resolve modifies only images with the label, mirror writes exactly the lock, and any file changed in the Containerfile\'s directory makes the lock stale', async () => {
    await busyboxBase();
    const labeled = await sb.run(['modify', `${R.host}/busybox/base:1`, `${R.host}/busybox/labeled:1`, '--label', 'hotfix-me=']);
    expect(labeled.code, show(labeled)).toBe(0);
    const dir = join(work, 'set-containerfile');
    await mkdir(join(dir, 'custom'), { recursive: true });
    await writeFile(join(dir, 'custom', 'Containerfile'), 'FROM whatever\nRUN echo custom > /custom.txt\nLABEL customised=yes\n');
    await writeFile(join(dir, 'custom', 'notes.txt'), 'not used by the build\n');
    const set = join(dir, 'images.yaml');
    const lockFile = join(dir, 'images.lock.yaml');
    await writeFile(
      set,
      [
        'images:',
        `  labeled: ${R.host}/busybox/labeled:1`,
        `  plain: ${R.host}/busybox/base:1`,
        'rules:',
        `  - push_destination: ${R.host}/mirror`,
        '    modify:',
        '      tag_suffix: -custom',
        '      only_with_labels: [hotfix-me]',
        '      steps:',
        '        - containerfile: custom',
        '',
      ].join('\n'),
    );
    const resolved = await sb.run(['resolve', set, '-o', lockFile]);
    expect(resolved.code, show(resolved)).toBe(0);
    const lock = parseYaml(await readFile(lockFile, 'utf8')) as { images: Record<string, { digest: string; destination: string; modify?: { steps: unknown[]; result: string; modification: string } }> };
    expect(lock.images.labeled!.destination).toBe(`${R.host}/mirror/busybox/labeled:1-custom`);
    expect(lock.images.labeled!.modify!.steps).toEqual([{ kind: 'containerfile', value: 'custom' }]);
    // The image without the label is mirrored as it is, without the suffix.
    expect(lock.images.plain!.modify).toBeUndefined();
    expect(lock.images.plain!.destination).toBe(`${R.host}/mirror/busybox/base:1`);

    const mirrored = await sb.run(['mirror', '--json', lockFile]);
    expect(mirrored.code, show(mirrored)).toBe(0);
    const mod = await readBack(`${R.host}/mirror/busybox/labeled:1-custom`);
    expect(mod.digest).toBe(lock.images.labeled!.modify!.result);
    expect(filesOf(await mod.layer(mod.manifest.layers.length - 1)).get('custom.txt')).toBe('custom\n');
    expect(mod.config.config.Labels).toEqual({ 'hotfix-me': '', customised: 'yes' });
    const plain = await readBack(`${R.host}/mirror/busybox/base:1`);
    expect(plain.digest).toBe(lock.images.plain!.digest);

    expect((await sb.run(['resolve', set, '-o', lockFile, '--check'])).code).toBe(0);
    // A file the build never reads still counts: the modification is every file of the directory.
    await writeFile(join(dir, 'custom', 'notes.txt'), 'changed\n');
    const stale = await sb.run(['resolve', set, '-o', lockFile, '--check']);
    expect(stale.code, show(stale)).not.toBe(0);
    expect(stale.stderr + stale.stdout).toMatch(/LOCK_STALE/);
    expect(stale.stdout).toMatch(/modification/);
  });
});
