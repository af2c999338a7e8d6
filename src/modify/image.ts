/**
 * Applies modifications to manifests and configs: new layers appended (their diff IDs and
 * history entries added to the config), config fields changed, a new manifest naming the
 * new config and the old layers plus the new; an index gets each platform modified and a new
 * index. Every field airlock does not change is kept as it was (JSON objects are edited, not
 * rebuilt), so the only differences are the ones asked for.
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, type Digest } from '../oci/digest.js';
import { MediaTypes } from '../oci/mediatypes.js';
import type { BuiltLayer } from './layer.js';
import type { ModifyOperation } from './operations.js';

/** A layer the modification adds, with what made it (for the config's history). */
export interface AddedLayer {
  layer: BuiltLayer;
  createdBy: string;
}

/** Bytes a modification makes, by digest. */
export type MadeContent = Map<Digest, { bytes: Buffer; mediaType: string }>;

type Json = Record<string, unknown>;

function objectOf(bytes: Buffer, what: string): Json {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Json;
  } catch {
    // fall through
  }
  throw new AirlockError(ErrorCodes.MANIFEST_INVALID, `${what} is not a JSON object`);
}

/** Sets `KEY=value` in an env list, replacing an earlier KEY. */
function setEnv(env: string[], key: string, value: string): string[] {
  return [...env.filter((e) => !e.startsWith(`${key}=`)), `${key}=${value}`];
}

/** The config with the operations' changes and the added layers. */
export function modifyConfig(configBytes: Buffer, ops: readonly ModifyOperation[], added: readonly AddedLayer[]): Buffer {
  const cfg = objectOf(configBytes, 'image config');
  const c = (cfg.config && typeof cfg.config === 'object' ? { ...(cfg.config as Json) } : {}) as Json;
  for (const op of ops) {
    if (op.op === 'label') c.Labels = { ...((c.Labels as Json | null) ?? {}), [op.key]: op.value };
    else if (op.op === 'env') c.Env = setEnv((c.Env as string[] | null) ?? [], op.key, op.value);
    else if (op.op === 'user') c.User = op.value;
    else if (op.op === 'workdir') c.WorkingDir = op.value;
    else if (op.op === 'entrypoint') c.Entrypoint = op.value;
    else if (op.op === 'cmd') c.Cmd = op.value;
  }
  cfg.config = c;
  const rootfs = (cfg.rootfs as { type?: string; diff_ids?: string[] } | undefined) ?? { type: 'layers', diff_ids: [] };
  cfg.rootfs = { ...rootfs, type: rootfs.type ?? 'layers', diff_ids: [...(rootfs.diff_ids ?? []), ...added.map((a) => digestOf(a.layer.tar))] };
  // The base's own time, not now: the same inputs give the same config.
  const created = typeof cfg.created === 'string' ? cfg.created : '1970-01-01T00:00:00Z';
  if (added.length > 0) cfg.history = [...((cfg.history as unknown[] | undefined) ?? []), ...added.map((a) => ({ created, created_by: a.createdBy, comment: 'airlock modify' }))];
  return Buffer.from(JSON.stringify(cfg));
}

/**
 * The modified image manifest: the new config, the base's layers, then the added ones (in
 * the base's layer media type family). Records the config and layers it made in `made`.
 */
export function modifyImageManifest(manifestBytes: Buffer, configBytes: Buffer, ops: readonly ModifyOperation[], added: readonly AddedLayer[], made: MadeContent): { manifest: Buffer; config: Buffer } {
  const m = objectOf(manifestBytes, 'image manifest');
  const config = m.config as Descriptor;
  const newConfig = modifyConfig(configBytes, ops, added);
  const configDigest = digestOf(newConfig);
  made.set(configDigest, { bytes: newConfig, mediaType: config.mediaType });
  const layerType = m.mediaType === MediaTypes.dockerManifest ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip;
  const newLayers = added.map((a) => {
    const digest = digestOf(a.layer.gzip);
    made.set(digest, { bytes: a.layer.gzip, mediaType: layerType });
    return { mediaType: layerType, digest, size: a.layer.gzip.length };
  });
  m.config = { ...config, digest: configDigest, size: newConfig.length };
  m.layers = [...((m.layers as Descriptor[] | undefined) ?? []), ...newLayers];
  return { manifest: Buffer.from(JSON.stringify(m)), config: newConfig };
}

/** The index with each child descriptor replaced as `replaced` maps it (by old digest). */
export function modifyIndex(indexBytes: Buffer, replaced: ReadonlyMap<string, { digest: Digest; size: number }>): Buffer {
  const idx = objectOf(indexBytes, 'image index');
  idx.manifests = ((idx.manifests as Descriptor[] | undefined) ?? []).map((d) => {
    const r = replaced.get(d.digest);
    return r ? { ...d, digest: r.digest, size: r.size } : d;
  });
  return Buffer.from(JSON.stringify(idx));
}
