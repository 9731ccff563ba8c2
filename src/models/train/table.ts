/**
 * The trainers' view of a dataset: typed columns by name (what `src/data/table.ts` reads a version
 * into), plus the few helpers the pipeline needs — a checked column lookup and row subsets.
 */
import { invalidParam } from '../../core/errors.js';
import type { DataSchema, SchemaColumn } from '../../data/formats/types.js';
import type { Typed } from '../../data/schema.js';

/** Typed columns, each `rows` long; missing values are null. */
export interface TrainTable {
  rows: number;
  schema: DataSchema;
  columns: Record<string, ArrayLike<Typed>>;
}

/** The schema entry of a column, or an error naming the columns there are. */
export function schemaColumn(table: TrainTable, name: string, field = 'column'): SchemaColumn {
  const c = table.schema.columns.find((s) => s.name === name);
  if (!c) throw invalidParam(`column '${name}' is not in the table (columns: ${columnList(table)})`, field);
  return c;
}

/** A column's values, checked to be there and `rows` long. */
export function tableColumn(table: TrainTable, name: string, field = 'column'): ArrayLike<Typed> {
  const values = table.columns[name];
  if (!values)
    throw invalidParam(`column '${name}' is not in the table (columns: ${columnList(table)})`, field);
  if (values.length !== table.rows) {
    throw invalidParam(
      `column '${name}' has ${values.length} values for a table of ${table.rows} rows`,
      field,
    );
  }
  return values;
}

/** The table's column names, comma-separated, for error messages. */
export function columnList(table: TrainTable): string {
  return table.schema.columns.map((c) => c.name).join(', ') || '(none)';
}

/** The rows at `index` (in that order) as a new table over the same schema. */
export function subsetRows(table: TrainTable, index: ArrayLike<number>): TrainTable {
  const columns: Record<string, Typed[]> = {};
  for (const [name, values] of Object.entries(table.columns)) {
    const out = new Array<Typed>(index.length);
    for (let i = 0; i < index.length; i++) out[i] = values[index[i]!] ?? null;
    columns[name] = out;
  }
  return { rows: index.length, schema: table.schema, columns };
}

/** True when a typed value is missing (null, undefined or NaN). */
export const isNull = (v: Typed | undefined): v is null | undefined =>
  v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
