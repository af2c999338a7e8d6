import { describePlan, formatPlan } from '../imageset/describe.js';
import { loadImageSet } from '../imageset/load.js';
import { parseSetFlags } from './resolve-run.js';

/** Flags of `airlock plan`. */
export interface PlanFlags {
  set: string[];
  json?: boolean;
}

/** `airlock plan IMAGESET`: prints the planned images, one line each or as JSON. */
export async function run(file: string, flags: PlanFlags): Promise<void> {
  const rows = describePlan(await loadImageSet(file), parseSetFlags(flags.set));
  process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : formatPlan(rows));
}
