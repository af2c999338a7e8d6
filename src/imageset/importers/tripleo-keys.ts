/**
 * Image keys for TripleO's image list. A key is the image's own name, lower case
 * (`{{namespace}}/{{name_prefix}}haproxy{{name_suffix}}` -> `haproxy`); a name made only of
 * placeholders (`{{ceph_namespace}}/{{ceph_image}}`) is named after its first Heat parameter
 * (`ContainerCephDaemonImage` -> `ceph_daemon`, `PrometheusContainerImage` -> `prometheus`).
 */
import { fillTemplate } from '../template.js';
import type { ParamValue } from '../types.js';
import { KeyAllocator, normaliseKey } from './keys.js';
import type { TemplateEntry } from './tripleo-template.js';

/** `ContainerHAProxyConfigImage` -> `ha_proxy_config`, `PrometheusContainerImage` -> `prometheus`, `ContainerKeystoneImageStein` -> `keystone_stein`. */
export function parameterKey(param: string): string {
  const words = param
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ')
    .filter((w) => w !== 'Container' && w !== 'Image');
  return normaliseKey(words.join('_'));
}

/** The repository part of a reference template: the tag and digest cut off. */
function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The key an entry would like: the literal text of its last path component (with the
 * `name_prefix` value taken off when written out, so `openstack-haproxy` is `haproxy`), else
 * its first parameter's name, else its last two path components rendered with `params`.
 */
export function preferredKey(entry: TemplateEntry, params: Readonly<Record<string, ParamValue>>): string {
  const last = repositoryOf(entry.ref).split('/').at(-1) ?? '';
  let literal = last.replace(/\{[A-Za-z0-9_]+\}/g, '');
  const prefix = params.name_prefix;
  if (typeof prefix === 'string' && prefix !== '' && literal.startsWith(prefix) && literal.length > prefix.length) literal = literal.slice(prefix.length);
  if (/[A-Za-z0-9]/.test(literal)) return normaliseKey(literal);
  if (entry.params.length > 0) return parameterKey(entry.params[0]!);
  const rendered = repositoryOf(fillTemplate(entry.ref, (n) => (Object.hasOwn(params, n) ? String(params[n]) : n)));
  return normaliseKey(rendered.split('/').slice(-2).join('_'));
}

/**
 * One unique key per entry, in order. The first entry wanting a key gets it; a later one is
 * named after its first parameter when that is free (`keystone` of a second namespace ->
 * `keystone_stein` from `ContainerKeystoneImageStein`), else numbered (`keystone_2`).
 */
export function tripleoKeys(entries: readonly TemplateEntry[], params: Readonly<Record<string, ParamValue>>): string[] {
  const preferred = entries.map((e) => preferredKey(e, params));
  const keys = new KeyAllocator();
  const taken = new Set<string>();
  return entries.map((entry, i) => {
    let want = preferred[i]!;
    if (taken.has(want) && entry.params.length > 0) {
      const byParam = parameterKey(entry.params[0]!);
      if (!taken.has(byParam) && !preferred.includes(byParam)) want = byParam;
    }
    const key = keys.allocate(want);
    taken.add(key);
    return key;
  });
}
