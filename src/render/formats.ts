/** Every output format `airlock render --format` knows. */
export const RENDER_FORMATS = ['atmosphere', 'containerd', 'helm', 'kubespray', 'list', 'tripleo'] as const;
/** One of RENDER_FORMATS. */
export type RenderFormat = (typeof RENDER_FORMATS)[number];
