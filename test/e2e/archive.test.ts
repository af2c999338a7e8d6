/**
 * `oci-archive:` read in place: archives skopeo writes are copied by airlock into a registry
 * with every digest intact; unsafe archives are refused before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMultiArch } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoCopy } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const multi = makeMultiArch({ seed: 'e2e-archive-multi', baseLayers: [{ seed: 'e2e-archive/base', size: 3000 }] });

let A: TestRegistry;
let sb: CliSandbox;
let work: string;
let archive: string;

beforeAll(async () => {
  [A, sb, work] = await Promise.all([startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-archive-'))]);
  await pushFixtureWithSkopeo(multi, A, 'src/multi:t');
  archive = join(work, 'skopeo.tar');
  await skopeoCopy(dockerRef(A, 'src/multi:t'), `oci-archive:${archive}:example.org/team/multi:t`, { all: true, src: sideFor(A) });
});

afterAll(async () => {
  await Promise.all([A?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('oci-archive: as a source', () => {
  it('copies what skopeo archived, by name and as the only image, into a registry with the same digests', async () => {
    const named = await sb.run(['copy', '--json', `oci-archive:${archive}:example.org/team/multi:t`, `docker://${A.host}/from-archive/multi:t`]);
    expect(named.code, show(named)).toBe(0);
    expect(imageResults(named.stdout)[0]).toMatchObject({ status: 'copied', digest: multi.manifestDesc.digest });
    await validateRegistryImage({ url: A.url, repository: 'from-archive/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
    const only = await sb.run(['copy', '--json', `oci-archive:${archive}`, `docker://${A.host}/from-archive/only:t`]);
    expect(only.code, show(only)).toBe(0);
    expect(imageResults(only.stdout)[0]).toMatchObject({ digest: multi.manifestDesc.digest });
    // And into the store.
    const stored = await sb.run(['copy', `oci-archive:${archive}:example.org/team/multi:t`, 'store:example.org/team/multi:t']);
    expect(stored.code, show(stored)).toBe(0);
  });

  it('refuses an archive with a ../ entry or cut short (ARCHIVE_INVALID), and a name it lacks, writing nothing', async () => {
    const src = join(work, 'evil');
    await mkdir(join(src, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(src, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(src, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    const up = join(work, 'up.tar');
    execFileSync('tar', ['-cf', up, '--format=gnu', '-P', '--transform', 's,^index.json$,../index.json,', 'oci-layout', 'index.json'], { cwd: src });
    const r1 = await sb.run(['copy', `oci-archive:${up}`, `docker://${A.host}/evil/x:1`]);
    expect(r1.code, show(r1)).toBe(2);
    expect(failureCode(r1)).toBe('ARCHIVE_INVALID');
    const missing = await sb.run(['copy', `oci-archive:${archive}:example.org/team/nothing:1`, `docker://${A.host}/evil/y:1`]);
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toContain('[IMAGE_NOT_FOUND]');
    const cut = join(work, 'cut.tar');
    const whole = await readFile(archive);
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const r3 = await sb.run(['copy', `oci-archive:${cut}:example.org/team/multi:t`, `docker://${A.host}/evil/z:1`]);
    expect(r3.code, show(r3)).toBe(2);
    expect(failureCode(r3)).toBe('ARCHIVE_INVALID');
    for (const repo of ['evil/x', 'evil/y', 'evil/z']) {
      const res = await fetch(`${A.url}/v2/${repo}/tags/list`);
      expect(res.status, repo).toBe(404);
    }
  });
});
