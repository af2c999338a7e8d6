import { fetch } from 'undici';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Status of `HEAD /v2/{repo}/manifests/{reference}` on a registry (200 present, 404 absent), without airlock's code. */
export async function manifestStatus(reg: { url: string }, repo: string, reference: string): Promise<number> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${reference}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  return res.status;
}
