import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { importKubespray } from './kubespray.js';
import { NO_NOTES } from './source.js';

/** The fixture's image variables, read as a plain vars file (its downloads: table is followed in kubespray-downloads.test.ts). */
const VARIABLES = { mode: 'variables' } as const;

const PAUSE = 'sha256:6210c0bf05396716df932f0729df69de0533933e5ad9871fd07b61811c4c28df';
const CALICO = 'sha256:7993bbce88ec23ed01374be2dab1de81ea89d3504d8505dbb53d1a23ba22c051';
const HEX = 'ab'.repeat(32);

/** Imports one inline vars file. */
const importText = (text: string, file = 'vars.yml') => importKubespray([{ file, text }]);
/** The image refs of one inline vars file, by key. */
const refsOf = (text: string) => Object.fromEntries(Object.entries(importText(text).images).map(([k, v]) => [k, v.ref]));

describe('importKubespray: the download.yml fixture', () => {
  it('gives exactly the images, resolved, pinned where a checksum is set', () => {
    expect(importKubespray([fixture('kubespray-download.yml')], NO_NOTES, VARIABLES)).toEqual({
      version: 1,
      parameters: {},
      images: {
        calico_cni: { ref: 'quay.io/calico/cni:v3.27.3' },
        calico_node: { ref: `quay.io/calico/node:v3.27.3@${CALICO}` },
        calico_policy: { ref: 'quay.io/calico/kube-controllers:v3.27.3' },
        coredns: { ref: 'registry.k8s.io/coredns/coredns:v1.11.1' },
        dnsautoscaler: { ref: 'registry.k8s.io/cpa/cluster-proportional-autoscaler-amd64:v1.8.8' },
        etcd: { ref: 'quay.io/coreos/etcd:v3.5.12' },
        flannel: { ref: 'docker.io/flannel/flannel:v0.22.0' },
        flannel_init: { ref: 'docker.io/flannel/flannel-cni-plugin:v1.1.2' },
        haproxy: { ref: 'docker.io/library/haproxy:2.8.2-alpine' },
        netcheck_agent: { ref: 'docker.io/mirantis/k8s-netchecker-agent:v1.2.2' },
        netcheck_server: { ref: 'docker.io/mirantis/k8s-netchecker-server:v1.2.2' },
        nginx: { ref: 'docker.io/library/nginx:1.25.2-alpine' },
        nodelocaldns: { ref: 'registry.k8s.io/dns/k8s-dns-node-cache:1.22.28' },
        pod_infra: { ref: `registry.k8s.io/pause:3.9@${PAUSE}` },
      },
      rules: [],
      credentials: {},
    });
  });

  it('lets a later file override registries and versions, as inventory vars override role defaults', () => {
    const overrides = {
      file: 'offline.yml',
      text: 'kube_image_repo: "registry.local:5000/k8s"\ncoredns_version: v1.11.3\nhost_architecture: arm64\n',
    };
    const set = importKubespray([fixture('kubespray-download.yml'), overrides], NO_NOTES, VARIABLES);
    expect(set.images.coredns).toEqual({ ref: 'registry.local:5000/k8s/coredns/coredns:v1.11.3' });
    expect(set.images.pod_infra).toEqual({ ref: `registry.local:5000/k8s/pause:3.9@${PAUSE}` });
    expect(set.images.dnsautoscaler).toEqual({ ref: 'registry.local:5000/k8s/cpa/cluster-proportional-autoscaler-arm64:v1.8.8' });
    expect(set.images.etcd).toEqual({ ref: 'quay.io/coreos/etcd:v3.5.12' });
  });
});

describe('importKubespray: Jinja', () => {
  it('resolves nested references, text around them and whitespace variants', () => {
    expect(
      refsOf(
        [
          'reg: "registry.k8s.io"',
          'ns: "{{reg}}/sig"',
          'ver: "1.2"',
          'foo_image_repo: "{{ ns }}/foo-{{ver}}-x"',
          'foo_image_tag: "v{{   ver  }}"',
        ].join('\n'),
      ),
    ).toEqual({ foo: 'registry.k8s.io/sig/foo-1.2-x:v1.2' });
  });

  it('honours default() with a literal, a variable, None and the boolean second argument', () => {
    const refs = refsOf(
      [
        'fallback: v9',
        'empty: ""',
        `a_image_repo: "{{ missing | default('quay.io/a') }}"`,
        'a_image_tag: "{{ missing|d(fallback) }}"',
        `b_image_repo: 'quay.io/b'`,
        `b_image_tag: "{{ empty | default('v2', true) }}"`,
        'b_digest_checksum: "{{ b_checksum | default(None) }}"',
        `c_image_repo: "{{ 'quay.io/c' | trim }}"`,
        `c_image_tag: "{{ empty | default('v3', boolean=True) | string }}"`,
      ].join('\n'),
    );
    expect(refs).toEqual({ a: 'quay.io/a:v9', b: 'quay.io/b:v2', c: 'quay.io/c:v3' });
  });

  it('keeps an unquoted number as written (3.10 is not 3.1)', () => {
    expect(refsOf('pause_version: 3.10\npause_image_repo: registry.k8s.io/pause\npause_image_tag: "{{ pause_version }}"')).toEqual({
      pause: 'registry.k8s.io/pause:3.10',
    });
  });

  it('ignores complex Jinja in variables no image uses', () => {
    const text = `x: "{% if a %}b{% endif %}"\ny: "{{ z | regex_replace('a', 'b') }}"\nm: {a: 1}\nfoo_image_repo: quay.io/foo\nfoo_image_tag: v1\n`;
    expect(refsOf(text)).toEqual({ foo: 'quay.io/foo:v1' });
  });

  it.each([
    ['an undefined variable', 'foo_image_repo: quay.io/foo\nfoo_image_tag: "{{ foo_version }}"', 'foo_image_tag', 2],
    ['an undefined variable in default()', 'foo_image_repo: "{{ a | default(b) }}"\nfoo_image_tag: v1', 'foo_image_repo', 1],
    // regex_replace is supported now; b64decode is a filter the built-in evaluator still does not know.
    ['an unsupported filter', 'foo_image_repo: quay.io/foo\nfoo_image_tag: "{{ v | b64decode }}"\nv: v1', 'foo_image_tag', 2],
    ['a conditional', "v: v1\nfoo_image_repo: quay.io/foo\nfoo_image_tag: \"{{ v if a else 'x' }}\"", 'foo_image_tag', 3],
    ['an attribute lookup', 'foo_image_repo: "{{ groups.all }}"\nfoo_image_tag: v1', 'foo_image_repo', 1],
    ['a statement', 'foo_image_repo: quay.io/foo\nfoo_image_tag: "{% if x %}v1{% endif %}"', 'foo_image_tag', 2],
    ['an unclosed filter call', `foo_image_repo: "{{ a | default('x' }}"\nfoo_image_tag: v1`, 'foo_image_repo', 1],
    ['a map used as text', 'm: {a: 1}\nfoo_image_repo: "quay.io/{{ m }}"\nfoo_image_tag: v1', 'm', 1],
  ])('%s is IMPORT_INVALID naming the variable and its line', (_what, text, variable, line) => {
    const err = thrown(() => importText(text));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ file: 'vars.yml', line, variable });
  });

  it('a reference cycle is IMPORT_INVALID, not a stack overflow', () => {
    const err = thrown(() => importText('a: "{{ b }}"\nb: "x{{ a }}"\nfoo_image_repo: "{{ a }}"\nfoo_image_tag: v1'));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ line: 1, variable: 'a' });
  });

  it('a variable the defaults compute with a conditional can be given plainly in a later file', () => {
    const defaults = {
      file: 'download.yml',
      text: [
        'kube_image_repo: registry.k8s.io',
        "coredns_image_repo: \"{{ kube_image_repo }}{{'/coredns/coredns' if (coredns_image_is_namespaced | bool) else '/coredns' }}\"",
        'coredns_image_tag: v1.11.1',
      ].join('\n'),
    };
    const err = thrown(() => importKubespray([defaults]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ file: 'download.yml', line: 2, variable: 'coredns_image_repo' });
    const fixed = importKubespray([defaults, { file: 'offline.yml', text: 'coredns_image_repo: "{{ kube_image_repo }}/coredns/coredns"\n' }]);
    expect(fixed.images).toEqual({ coredns: { ref: 'registry.k8s.io/coredns/coredns:v1.11.1' } });
  });

  it('names the file the failing variable came from', () => {
    const err = thrown(() =>
      importKubespray([
        { file: 'defaults.yml', text: 'foo_image_repo: quay.io/foo\nfoo_image_tag: "{{ foo_version }}"\n' },
        { file: 'overrides.yml', text: '# nothing\nfoo_version: "{{ nope }}"\n' },
      ]),
    );
    expect(err.details).toMatchObject({ file: 'overrides.yml', line: 2, variable: 'foo_version' });
  });
});

describe('importKubespray: digests', () => {
  it.each([
    [HEX, `sha256:${HEX}`],
    [`sha256:${HEX}`, `sha256:${HEX}`],
    [HEX.toUpperCase(), `sha256:${HEX}`],
    ['""', undefined],
    ['', undefined],
  ])('checksum %j pins to %j', (checksum, digest) => {
    const refs = refsOf(`foo_image_repo: quay.io/foo\nfoo_image_tag: v1\nfoo_digest_checksum: ${checksum}\n`);
    expect(refs).toEqual({ foo: digest ? `quay.io/foo:v1@${digest}` : 'quay.io/foo:v1' });
  });

  it.each([
    ['too short', 'foo_image_repo: quay.io/foo\nfoo_image_tag: v1\nfoo_digest_checksum: abc123', 3, 'foo_digest_checksum'],
    ['another algorithm', `foo_image_repo: quay.io/foo\nfoo_image_tag: v1\nfoo_digest_checksum: "sha512:${HEX}"`, 3, 'foo_digest_checksum'],
    ['without its image', `bar_digest_checksum: ${HEX}\nfoo_image_repo: quay.io/foo\nfoo_image_tag: v1`, 1, 'bar_digest_checksum'],
  ])('a checksum %s is IMPORT_INVALID at its line', (_what, text, line, variable) => {
    const err = thrown(() => importText(text));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ line, variable });
  });
});

describe('importKubespray: shapes', () => {
  it('a repo without a tag is a registry and a tag without a repo is ignored', () => {
    expect(refsOf('kube_image_repo: registry.k8s.io\nlonely_image_tag: v1\nfoo_image_repo: quay.io/foo\nfoo_image_tag: v1')).toEqual({
      foo: 'quay.io/foo:v1',
    });
  });

  it('follows YAML aliases', () => {
    expect(refsOf('base: &r quay.io/foo\nfoo_image_repo: *r\nfoo_image_tag: v1')).toEqual({ foo: 'quay.io/foo:v1' });
  });

  it('normalises keys and dedupes the ones that collide, in file order', () => {
    const text = 'Foo_Bar_image_repo: quay.io/a\nFoo_Bar_image_tag: v1\nfoo_bar_image_repo: quay.io/b\nfoo_bar_image_tag: v2\n';
    expect(refsOf(text)).toEqual({ foo_bar: 'quay.io/a:v1', foo_bar_2: 'quay.io/b:v2' });
  });

  it.each([
    ['a list at the top', '- a\n- b\n', 1],
    ['duplicate keys', 'foo_image_repo: quay.io/a\nfoo_image_repo: quay.io/b\nfoo_image_tag: v1\n', 2],
    ['broken YAML', 'foo_image_repo: quay.io/a\nfoo_image_tag: [v1\nbar: 1\n', 3],
    ['an invalid reference', 'foo_image_repo: quay.io/Foo\nfoo_image_tag: v1\n', 1],
    ['an empty tag', 'foo_image_repo: quay.io/foo\nfoo_image_tag: ""\n', 2],
  ])('%s is IMPORT_INVALID with the line', (_what, text, line) => {
    const err = thrown(() => importText(text));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ file: 'vars.yml', line });
  });

  it('an empty file has no images', () => {
    expect(importText('# only a comment\n').images).toEqual({});
  });
});
