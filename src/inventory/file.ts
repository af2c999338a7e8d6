/** Reading and writing have.json. */
import { promises as fs } from 'node:fs';
import { AirlockError, ErrorCodes } from '../errors.js';
import { MAX_INVENTORY_BYTES, parseInventory, type Inventory } from './types.js';

/** have.json as written: sorted keys, a line per digest, so two inventories diff well. */
export function formatInventory(inv: Inventory): string {
  const lines = (o: Record<string, unknown>) =>
    Object.keys(o)
      .sort()
      .map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(o[k])}`)
      .join(',\n');
  return `{"airlockInventory": ${inv.airlockInventory}, "of": ${JSON.stringify(inv.of)},\n "manifests": {\n${lines(inv.manifests)}\n },\n "blobs": {\n${lines(inv.blobs)}\n }}\n`;
}

/** Reads have.json at `file`: USAGE when absent, INVENTORY_INVALID when it is not an inventory. */
export async function readInventory(file: string): Promise<Inventory> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new AirlockError(ErrorCodes.USAGE, `${file}: no such file (airlock inventory -o ${file} writes it on the air-gapped side)`, { file });
  if (stat.size > MAX_INVENTORY_BYTES) throw new AirlockError(ErrorCodes.INVENTORY_INVALID, `${file}: over ${MAX_INVENTORY_BYTES} bytes`, { file });
  return parseInventory(await fs.readFile(file, 'utf8'), file);
}
