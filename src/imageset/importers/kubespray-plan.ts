/** The shape every Kubespray import takes: the values it needs evaluated, then the image set built from them. */
import type { ImageSet } from '../types.js';
import type { EvalOutcome, EvalRequest } from './evaluate.js';

/** An image set with notes (one line each) on what the import decided, kept as the file's header. */
export type ImportedSet = ImageSet & { notes?: string[] };

/** A built set with what to tell the operator: `notes` go with the file, `warnings` to stderr (they ask for action). */
export interface Finished {
  set: ImageSet;
  notes: string[];
  warnings: string[];
}

/** What an import needs evaluated, and how it builds the image set from the outcomes (in request order). */
export interface ImportPlan {
  requests: EvalRequest[];
  /** Builds the set; throws IMPORT_INVALID listing every problem. */
  finish(outcomes: EvalOutcome[]): Finished;
}
