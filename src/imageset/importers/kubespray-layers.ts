/**
 * Which definition of each variable counts. Later files override earlier ones, the inventory
 * overrides the files, `--set` overrides everything (as role defaults, inventory and extra
 * vars do in Ansible). One exception keeps the image sources upstream: Kubespray's offline
 * setup (`offline.yml`) points `kube_image_repo`, `quay_image_repo`, ... at the private
 * mirror, and a mirror is not where images come from. So, unless the import is "as
 * deployed", every `*_image_repo` the Kubespray defaults define keeps the defaults' value,
 * and the overrides are reported.
 */
import type { Definition, RawValue } from './jinja.js';
import { rawText } from './jinja.js';
import type { VarsFile } from './vars-files.js';

/** Variables named like this are image sources the offline setup redirects. */
export const REGISTRY_SUFFIX = '_image_repo';

/** The variables that count, and what was set aside. */
export interface Layers {
  defs: Map<string, Definition>;
  /** Later definitions of a defaults' `*_image_repo` that were not applied. */
  ignored: Definition[];
  /** The defaults' `*_image_repo` definitions, which Ansible must be told to keep too. */
  pinned: Map<string, RawValue>;
}

/** How the layers are stacked. */
export interface LayerOptions {
  /** Which of the files are Kubespray's defaults (the one with `downloads:`, those before it, and those beside it). */
  isDefaults: (file: VarsFile, index: number) => boolean;
  /** Keep every override, mirror settings included. */
  asDeployed: boolean;
  sets: Record<string, string>;
}

/** Stacks the files, then the inventory files, then `--set`, applying the offline rule above. */
export function layerVariables(files: VarsFile[], inventory: VarsFile[], options: LayerOptions): Layers {
  const defs = new Map<string, Definition>();
  const pinned = new Map<string, RawValue>();
  const ignored: Definition[] = [];
  const all = [...files, ...inventory];
  all.forEach((f, index) => {
    const inDefaults = index < files.length && options.isDefaults(f, index);
    for (const d of f.defs) {
      const keep = !options.asDeployed && !inDefaults && d.name.endsWith(REGISTRY_SUFFIX) && pinned.has(d.name);
      if (keep) {
        if (rawText(d.value) !== rawText(pinned.get(d.name)!)) ignored.push(d);
        continue;
      }
      defs.set(d.name, d);
      if (inDefaults && !options.asDeployed && d.name.endsWith(REGISTRY_SUFFIX)) pinned.set(d.name, d.value);
    }
  });
  for (const [name, value] of Object.entries(options.sets)) {
    defs.set(name, { name, file: '--set', value });
    pinned.delete(name);
  }
  return { defs, ignored, pinned };
}
