/** Modification steps as image sets and locks write them, turned into operations. */
import * as path from 'node:path';
import { parseOperation, type ModifyOperation, type OperationKind } from './operations.js';

/** The operations of `steps`; an appended input's path is taken relative to `dir`. MODIFY_INPUT_INVALID for a bad step. */
export function operationsOf(steps: readonly { kind: string; value: string }[], dir: string): ModifyOperation[] {
  return steps.map((s) => {
    const op = parseOperation(s.kind as OperationKind, s.value);
    if (op.op === 'append') return { ...op, path: path.resolve(dir, op.path) };
    return 'dir' in op ? { ...op, dir: path.resolve(dir, op.dir) } : op;
  });
}
