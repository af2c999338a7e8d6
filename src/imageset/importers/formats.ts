/** The formats `airlock import` reads. */
export const IMPORT_FORMATS = ['kubespray', 'atmosphere', 'kubernetes', 'tripleo'] as const;
/** One of IMPORT_FORMATS. */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
