import { AirlockError, ErrorCodes } from '../../errors.js';
import type { ImageSet } from '../types.js';
import { importAtmosphere } from './atmosphere.js';
import { importKubernetes } from './kubernetes.js';
import { importKubespray } from './kubespray.js';
import { importError, NO_NOTES, type ImportInput, type ImportNotes } from './source.js';
import { importTripleo } from './tripleo.js';

export { importAtmosphere } from './atmosphere.js';
export { importKubernetes } from './kubernetes.js';
export { importKubespray } from './kubespray.js';
export { importTripleo } from './tripleo.js';
export { normaliseKey, KeyAllocator } from './keys.js';
export { stringifyImageSet } from './output.js';
export { readImportInputs, type ImportInput, type ImportNotes } from './source.js';

import { IMPORT_FORMATS, type ImportFormat } from './formats.js';

export { IMPORT_FORMATS, type ImportFormat } from './formats.js';

/** What some formats take besides their files (`airlock import tripleo --images FILE --push-destination HOST`). */
export interface ImportOptions {
  /** tripleo: TripleO's image list, `tripleo_containers.yaml.j2`. */
  images?: ImportInput;
  /** tripleo: the registry `push_destination: true` stands for. */
  pushDestination?: string;
}

/** An imported set, with notes (one line each) on what the import changed or could not carry over. */
export type ImportedImageSet = ImageSet & { notes?: string[] };

const IMPORTERS: Record<ImportFormat, (inputs: ImportInput[], notes: ImportNotes, options: ImportOptions) => ImportedImageSet> = {
  kubespray: importKubespray,
  atmosphere: importAtmosphere,
  kubernetes: importKubernetes,
  tripleo: importTripleo,
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
 * Runs the importer for `format` over the files (with `options` for the formats that take
 * them; warnings go to `notes`). An unknown format is USAGE; input that yields no image at
 * all is IMPORT_INVALID (most likely the wrong format or file).
 */
export function importImageSet(format: string, inputs: ImportInput[], options: ImportOptions = {}, notes: ImportNotes = NO_NOTES): ImportedImageSet {
  const f = importFormatOf(format);
  const set = IMPORTERS[f](inputs, notes, options);
  if (Object.keys(set.images).length === 0) {
    throw importError(inputs.map((i) => i.file).join(', '), undefined, `no images found for format ${f}`, { format: f });
  }
  return set;
}
