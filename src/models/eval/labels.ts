/**
 * Matching labels across the sources an evaluation joins: the model's classes (numbers or
 * strings), the dataset's target column (numbers, strings or booleans) and predicted labels.
 */
import { invalidParam } from '../../core/errors.js';
import type { EvalCell } from './types.js';

/** The group name of rows whose slice or sensitive value is missing. */
export const MISSING_GROUP = '(missing)';

/** True for null, undefined, NaN and the empty string. */
export const isMissing = (v: EvalCell): v is null | undefined | '' =>
  v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));

/** A slice or sensitive value as a group name. */
export const groupName = (v: EvalCell): string => (isMissing(v) ? MISSING_GROUP : String(v));

/** Numbers before strings, numbers ascending, strings in code-point order (like numpy's unique). */
export const compareLabels = (a: string | number, b: string | number): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

/** Group names in natural order ("2" before "10"), the missing group last. */
export const compareGroups = (a: string, b: string): number => {
  if (a === b) return 0;
  if (a === MISSING_GROUP) return 1;
  if (b === MISSING_GROUP) return -1;
  return a.localeCompare(b, 'en', { numeric: true });
};

/**
 * An ordered list of labels: the model's classes first (their index is their probability
 * column), then labels met in the data that the model does not know.
 */
export class LabelIndex {
  readonly labels: (string | number)[] = [];
  /** Number of leading labels that are the model's classes. */
  readonly classes: number;
  private readonly byKey = new Map<string, number>();

  constructor(classes: readonly (string | number)[]) {
    for (const c of classes) {
      if (this.byKey.has(String(c))) throw invalidParam(`duplicate class ${JSON.stringify(c)}`, 'classes');
      this.byKey.set(String(c), this.labels.length);
      this.labels.push(c);
    }
    this.classes = this.labels.length;
  }

  /**
   * The index of a value, or -1. Booleans also match classes 1/0, and numeric strings match
   * numeric classes ("1.0" is class 1), since a CSV target and a model's classes often disagree
   * on the type.
   */
  find(v: string | number | boolean): number {
    const exact = this.byKey.get(String(v));
    if (exact !== undefined) return exact;
    if (typeof v === 'boolean') return this.byKey.get(v ? '1' : '0') ?? -1;
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      if (Number.isFinite(n)) return this.byKey.get(String(n)) ?? -1;
    }
    return -1;
  }

  /** The index of a value, appending it as a new label when unknown. */
  intern(v: string | number | boolean): number {
    const i = this.find(v);
    if (i >= 0) return i;
    const label = typeof v === 'boolean' ? String(v) : v;
    this.byKey.set(String(label), this.labels.length);
    this.labels.push(label);
    return this.labels.length - 1;
  }
}

/** Sorted distinct labels of the given columns (the classes when a model does not state them). */
export function distinctLabels(...columns: (ArrayLike<EvalCell> | null)[]): (string | number)[] {
  const seen = new Map<string, string | number>();
  for (const col of columns) {
    if (!col) continue;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (isMissing(v)) continue;
      const label = typeof v === 'boolean' ? String(v) : (v as string | number);
      if (!seen.has(String(label))) seen.set(String(label), label);
    }
  }
  return [...seen.values()].sort(compareLabels);
}
