import { imageSetFromYaml } from '../imageset/load.js';
import { yamlInputKind } from '../lock/detect.js';
import { fastLock, lockFromYaml } from '../lock/read.js';
import { parseYaml, yamlData } from '../yaml/document.js';
import type { MirrorInput } from './input.js';

/**
 * A YAML mirror input (a lock or an image set), parsed once: a plain valid lock by the fast
 * path, anything else as a document whose kind is read off its data and which is then
 * validated as that kind. A file that does not parse is
 * handed to the image set loader, which reports where.
 */
export function yamlMirrorInput(file: string, text: string): MirrorInput {
  const lock = fastLock(text);
  if (lock) return { kind: 'lock', file, lock };
  const parsed = parseYaml(text);
  // A file that does not parse, or aliases past the limit, is the image set loader's to report.
  let kind: 'lock' | 'imageset' = 'imageset';
  if (parsed.doc.errors.length === 0) {
    try {
      kind = yamlInputKind(yamlData(parsed.doc, (why) => new Error(why)));
    } catch {
      kind = 'imageset';
    }
  }
  return kind === 'lock' ? { kind, file, lock: lockFromYaml(parsed, file) } : { kind, file, set: imageSetFromYaml(parsed, file) };
}
