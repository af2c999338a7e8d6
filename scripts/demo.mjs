#!/usr/bin/env node
// `npm run demo`: the whole air-gap walk on the shipped samples, on this machine, with no
// network but loopback: the samples go into the store (the download-once cache), the store
// becomes a bundle (the file carried across), the bundle is served as a registry in place,
// and an image is pulled from it by the digest its lock pins. Then it says how to point a
// node at such a registry. Run it twice: the second run finds the store up to date.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');

/** Runs airlock, its output shown; rejects on a non-zero exit. */
function airlock(args, { quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`airlock ${args.join(' ')} exited ${code}`))));
  });
}

const step = (n, text) => process.stdout.write(`\n== ${n}. ${text}\n`);
const work = await mkdtemp(join(tmpdir(), 'airlock-demo-'));
let server;
try {
  step(1, 'bring the sample images into the store (the download-once cache; here from the shipped layout, not the internet)');
  await airlock(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', 'store:']);

  step(2, 'write a bundle from the store: one tar, each blob once, the lock and checksums inside');
  const bundle = join(work, 'images.tar');
  await airlock(['bundle', 'create', 'samples/images.txt', '--from', 'store:', '-o', bundle]);
  await airlock(['bundle', 'verify', bundle]);

  step(3, 'serve the bundle as a registry, read in place (nothing extracted)');
  server = spawn(process.execPath, [cli, 'serve', '--bundle', bundle, '--listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const address = await new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (c) => {
      err += c;
      const m = /on http:\/\/(\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`airlock serve exited ${code}: ${err}`)));
  });
  process.stdout.write(`serving ${bundle} on http://${address}\n`);

  step(4, 'pull an image from it by the digest the lock pins, verified blob by blob');
  const listing = JSON.parse(await airlock(['bundle', 'ls', bundle, '--json'], { quiet: true }));
  const image = listing.images.find((i) => i.platforms.length > 1) ?? listing.images[0];
  const repository = image.name.slice(0, image.name.lastIndexOf(':'));
  const pulled = join(work, 'pulled');
  await airlock(['copy', `docker://${address}/${repository}@${image.digest}`, `oci:${pulled}:${image.name}`]);
  const index = JSON.parse(await readFile(join(pulled, 'index.json'), 'utf8'));
  const got = index.manifests[0].digest;
  if (got !== image.digest) throw new Error(`pulled ${got}, the lock pins ${image.digest}`);

  process.stdout.write(`
What happened:
  - ${listing.images.length} sample images went into the store once; a second run fetches nothing.
  - They became one bundle, the file you would carry across the gap (here in ${work}, removed at the end).
  - airlock serve made a registry of that file in place, and ${image.name}
    (${image.platforms.join(', ')}) was pulled from it by its locked digest ${image.digest.slice(0, 19)}...,
    every blob checked on the way.

On a real air-gapped site:
  airlock bundle import images.tar --to registry.local:5000/mirror     # or: airlock serve --bundle images.tar
  airlock render images.lock.yaml --format containerd --mirror http://registry.local:5000 -o /etc/containerd/certs.d
  airlock warm images.tar --containerd /run/containerd/containerd.sock   # pre-load a node, no registry needed
See docs/air-gap.md for the whole walk.
`);
} finally {
  server?.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
