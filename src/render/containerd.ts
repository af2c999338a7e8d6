import { stringify } from 'smol-toml';
import { DOCKER_HUB, DOCKER_HUB_API } from '../ref/reference.js';
import type { RenderOptions, Renderer } from './types.js';
import { planMirror, type Mirror, type MirroredRegistry } from './mirror.js';
import { header } from './text.js';

/**
 * Runtime configuration that sends every source registry of the lock to the local mirror:
 * `certs.d/<registry>/hosts.toml` for containerd (copy under containerd's `config_path`,
 * usually /etc/containerd/certs.d) and `registries.conf` (containers-registries.conf v2) for
 * CRI-O and podman. Images keep their names in the manifests; only where they are pulled from changes.
 */
export const renderContainerd: Renderer = (lock, options) => {
  const plan = planMirror(lock, options.mirror);
  const files: Record<string, string> = {};
  for (const r of plan.registries) files[`certs.d/${r.registry}/hosts.toml`] = hostsToml(r, plan.mirror, options);
  files['registries.conf'] = registriesConf(plan.registries, plan.mirror, options);
  return { kind: 'files', files, warnings: [] };
};

/** containerd's hosts.toml for one source registry: the mirror first, the real server as fallback. */
function hostsToml(r: MirroredRegistry, mirror: Mirror, options: RenderOptions): string {
  const server = `https://${r.registry === DOCKER_HUB ? DOCKER_HUB_API : r.registry}`;
  // With a prefix the mirror's API root is not /v2: containerd then takes the URL's path as
  // the root as it is (override_path), so the path must name /v2 itself.
  const url = `${mirror.scheme}://${mirror.host}${r.prefix ? `/v2/${r.prefix}` : ''}`;
  const host: Record<string, unknown> = { capabilities: ['pull', 'resolve'] };
  if (r.prefix) host.override_path = true;
  if (options.skipVerify) host.skip_verify = true;
  if (options.ca) host.ca = options.ca;
  return `${header('containerd')}${stringify({ server, host: { [url]: host } })}`;
}

/** containers-registries.conf v2: one `[[registry]]` per source registry with the mirror as `[[registry.mirror]]`. */
function registriesConf(registries: MirroredRegistry[], mirror: Mirror, options: RenderOptions): string {
  const insecure = mirror.scheme === 'http' || Boolean(options.skipVerify);
  const entries = registries.map((r) => ({
    prefix: r.registry,
    location: r.registry,
    mirror: [{ location: `${mirror.host}${r.prefix ? `/${r.prefix}` : ''}`, insecure }],
  }));
  const caNote = options.ca
    ? `# CRI-O and podman read the mirror's CA from /etc/containers/certs.d/${mirror.host}/ca.crt: copy ${options.ca} there.\n`
    : '';
  return `${header('containerd')}${caNote}${entries.length ? `\n${stringify({ registry: entries })}` : ''}`;
}
