import { AirlockError, ErrorCodes } from '../../errors.js';
import type { ImageSet } from '../types.js';
import { importAtmosphere } from './atmosphere.js';
import { importKubernetes } from './kubernetes.js';
import { importKubespray } from './kubespray.js';
import { importError, type ImportInput } from './source.js';

export { importAtmosphere } from './atmosphere.js';
export { importKubernetes } from './kubernetes.js';
export { importKubespray } from './kubespray.js';
export { normaliseKey, KeyAllocator } from './keys.js';
export { stringifyImageSet } from './output.js';
export { readImportInputs, type ImportInput } from './source.js';

import { IMPORT_FORMATS, type ImportFormat } from './formats.js';

export { IMPORT_FORMATS, type ImportFormat } from './formats.js';

const IMPORTERS: Record<ImportFormat, (inputs: ImportInput[]) => ImageSet> = {
  kubespray: importKubespray,
  atmosphere: importAtmosphere,
  kubernetes: importKubernetes,
};

/** `s` as an import format; anything else is USAGE, naming the formats there are. */
export function importFormatOf(s: string): ImportFormat {
  const format = IMPORT_FORMATS.find((f) => f === s);
  if (!format) {
    throw new AirlockError(ErrorCodes.USAGE, `unknown import format "${s}" (expected one of: ${IMPORT_FORMATS.join(', ')})`, {
      format: s,
    });
  }
  return format;
}

/**
 * Runs the importer for `format` over the files. An unknown format is USAGE; input that
 * yields no image at all is IMPORT_INVALID (most likely the wrong format or file).
 */
export function importImageSet(format: string, inputs: ImportInput[]): ImageSet {
  const f = importFormatOf(format);
  const set = IMPORTERS[f](inputs);
  if (Object.keys(set.images).length === 0) {
    throw importError(inputs.map((i) => i.file).join(', '), undefined, `no images found for format ${f}`, { format: f });
  }
  return set;
}
