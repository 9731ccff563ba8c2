/** Splitting the evaluated rows into groups by the value of a slice or sensitive column. */
import { compareGroups, groupName } from './labels.js';
import type { EvalCell } from './types.js';

export interface RowGroup {
  value: string;
  /** Positions in the evaluated rows (after skipping rows with a missing actual). */
  rows: number[];
}

/**
 * Groups the evaluated rows by `values[source[i]]` (stringified, missing → "(missing)"), in
 * natural order of the value with the missing group last.
 */
export function groupRows(values: ArrayLike<EvalCell>, source: Int32Array): RowGroup[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < source.length; i++) {
    const name = groupName(values[source[i]!]);
    let g = groups.get(name);
    if (!g) {
      g = [];
      groups.set(name, g);
    }
    g.push(i);
  }
  return [...groups.keys()].sort(compareGroups).map((value) => ({ value, rows: groups.get(value)! }));
}
