import { AirlockError, ErrorCodes } from '../errors.js';
import type { LockFile } from '../lock/types.js';
import { renderAtmosphere } from './atmosphere.js';
import { renderContainerd } from './containerd.js';
import { renderHelm } from './helm.js';
import { renderKubespray } from './kubespray.js';
import { renderList } from './list.js';
import { renderTripleo } from './tripleo.js';
import type { RenderOptions, RenderOutput, Renderer } from './types.js';

export type { RenderOptions, RenderOutput, Renderer } from './types.js';

import { RENDER_FORMATS, type RenderFormat } from './formats.js';

export { RENDER_FORMATS, type RenderFormat } from './formats.js';

/** The renderer of each format. */
export const renderers: Record<RenderFormat, Renderer> = {
  atmosphere: renderAtmosphere,
  containerd: renderContainerd,
  helm: renderHelm,
  kubespray: renderKubespray,
  list: renderList,
  tripleo: renderTripleo,
};

/** True when `s` names a format. */
export function isRenderFormat(s: string): s is RenderFormat {
  return (RENDER_FORMATS as readonly string[]).includes(s);
}

/** Renders a validated lock in `format`; an unknown format is RENDER_FORMAT_UNKNOWN. */
export function render(lock: LockFile, format: string, options: RenderOptions = {}): RenderOutput {
  if (!isRenderFormat(format)) {
    throw new AirlockError(ErrorCodes.RENDER_FORMAT_UNKNOWN, `unknown format "${format}"; formats: ${RENDER_FORMATS.join(', ')}`, {
      format,
      formats: [...RENDER_FORMATS],
    });
  }
  return renderers[format](lock, options);
}
