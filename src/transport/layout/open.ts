import * as path from 'node:path';
import type { TransportContext } from '../context.js';
import { OciLayout } from './layout.js';

/**
 * The run's shared handle on the layout at `dir` (its in-memory index is kept for the whole
 * run). `create` makes the layout when missing; a failed open is not remembered.
 */
export function sharedLayout(ctx: TransportContext, dir: string, create: boolean): Promise<OciLayout> {
  const key = `layout:${create ? 'write' : 'read'}:${path.resolve(dir)}`;
  return ctx.sharedOpen(key, () => OciLayout.open(dir, { create }));
}
