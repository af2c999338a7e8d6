import { imageSetFromYaml } from '../imageset/load.js';
import { yamlInputKind } from '../lock/detect.js';
import { lockFromYaml } from '../lock/parse.js';
import { parseYaml, yamlData } from '../yaml/document.js';
import type { MirrorInput } from './input.js';

/**
 * A YAML mirror input that is not a plain lock, parsed once as a document: its kind is read
 * off its data, then it is validated as that kind, with lines in every error. A file that does not parse is
 * handed to the image set loader, which reports where.
 */
export function yamlMirrorInput(file: string, text: string): MirrorInput {
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
