/**
 * What a backup holds: every named image of the store, or every tag of every repository of a
 * registry (under a prefix), as the entries of an image list, so a backup is written as a
 * bundle of that list.
 */
import type { ListEntry } from '../mirror/list.js';
import { parseReference } from '../ref/reference.js';
import type { LayoutContent } from '../transport/layout/content.js';
import type { ContentReader } from '../transport/types.js';

/** Every image the store (or a layout) names, by its full name. */
export async function layoutEntries(layout: LayoutContent): Promise<ListEntry[]> {
  const names = [...new Set((await layout.listRefs()).map((r) => r.name))].sort();
  return names.map((text, i) => ({ ref: parseReference(text), text, line: i + 1 }));
}

/** Every `host/repository:tag` of the registry `host` under `prefix` (catalog, then tags). */
export async function registryEntries(reader: ContentReader, host: string, prefix = '', signal?: AbortSignal): Promise<ListEntry[]> {
  const under = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  const out: ListEntry[] = [];
  for (const repository of (await reader.listRepositories()).filter((r) => r.startsWith(under)).sort()) {
    signal?.throwIfAborted();
    for (const tag of (await reader.listTags(repository)).sort()) {
      const text = `${host}/${repository}:${tag}`;
      out.push({ ref: parseReference(text), text, line: out.length + 1 });
    }
  }
  return out;
}
