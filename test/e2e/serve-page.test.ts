/**
 * The web page of `airlock serve` in a real browser (Debian's chromium, driven by
 * playwright-core): repositories listed and searched, a multi-arch image's tags, digest,
 * platforms, layers and pull command, on a desktop and a phone-sized screen, with no request
 * leaving the server.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/registry.js';
import { makeCliSandbox, PROJECT_ROOT, show, type CliResult, type CliSandbox } from './cli.js';

let sb: CliSandbox;
let browser: Browser;
let server: ChildProcess | undefined;
let done: Promise<CliResult>;
let base: string;
let shots: string;
const digests = new Map<string, string>();

beforeAll(async () => {
  sb = await makeCliSandbox();
  shots = await mkdtemp(join(tmpdir(), 'airlock-page-shots-'));
  const r = await sb.run(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', 'store:'], { cwd: PROJECT_ROOT });
  expect(r.code, show(r)).toBe(0);
  const index = JSON.parse(await readFile(join(PROJECT_ROOT, 'samples/layout/index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  for (const m of index.manifests) digests.set(m.annotations['org.opencontainers.image.ref.name']!, m.digest);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  done = sb.run(['serve', '--listen', `127.0.0.1:${port}`], { onSpawn: (c) => (server = c), timeoutMs: 300_000 });
  for (let i = 0; i < 300 && !(await fetch(`${base}/v2/`).then((x) => x.ok, () => false)); i++) await new Promise((res) => setTimeout(res, 50));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  await done;
  await Promise.all([sb?.remove(), shots && rm(shots, { recursive: true, force: true })]);
});

describe('the web page', () => {
  it('lists and searches repositories, and shows a multi-arch image: tags, digest, platforms, layers, pull command', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(base);
    await page.waitForSelector('#repos li');
    expect(await page.locator('#repos li').allTextContents()).toEqual([
      'registry.example.org/ceph/ceph',
      'registry.example.org/openstack/glance-api',
      'registry.example.org/openstack/keystone-api',
      'registry.example.org/openstack/nova-api',
    ]);
    await page.fill('#search', 'keystone');
    expect(await page.locator('#repos li').allTextContents()).toEqual(['registry.example.org/openstack/keystone-api']);
    await page.click('#repos li button');
    await page.waitForSelector('#platforms');
    const digest = digests.get('registry.example.org/openstack/keystone-api:2024.1')!;
    expect(await page.textContent('#digest')).toBe(digest);
    expect(await page.textContent('#pull')).toBe(`127.0.0.1:${new URL(base).port}/registry.example.org/openstack/keystone-api@${digest}`);
    expect(await page.textContent('#platforms')).toBe('Platforms: linux/amd64, linux/arm64/v8');
    expect(await page.locator('.tag[aria-pressed="true"]').textContent()).toBe('2024.1');
    // Each platform's layers, with sizes.
    expect(await page.locator('#image h3:not(#platforms)', { hasText: 'linux/amd64' }).count()).toBe(1);
    expect(await page.locator('#image h3:not(#platforms)', { hasText: 'linux/arm64/v8' }).count()).toBe(1);
    expect(await page.locator('#image table code', { hasText: 'sha256:' }).count()).toBeGreaterThan(2);
    const shot = join(shots, 'desktop.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    // Nothing but the server itself was asked for anything.
    expect(requests.filter((u) => !u.startsWith(base))).toEqual([]);
    await page.close();
  });

  it('is readable on a phone-sized screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(base);
    await page.waitForSelector('#repos li');
    await page.click('text=registry.example.org/ceph/ceph');
    await page.waitForSelector('#digest');
    // No sideways scrolling: the page fits the screen's width.
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    expect(await page.textContent('#digest')).toBe(digests.get('registry.example.org/ceph/ceph:v18'));
    const shot = join(shots, 'phone.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(5_000);
    await page.close();
  });
});
