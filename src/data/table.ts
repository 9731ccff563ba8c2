/**
 * Reads a dataset version's tabular files into typed columns in memory: what the trainers and the
 * evaluator work on. Rows are typed by the version's schema exactly as ingest typed them; rows that
 * ingest counted as malformed are skipped here too, so a table holds `version.rows` rows.
 */
import path from 'node:path';
import { invalidParam } from '../core/errors.js';
import { isTabular, openTable } from './formats/index.js';
import type { DataSchema } from './formats/types.js';
import { rowCoercer, type Typed } from './schema.js';
import type { DatasetFile } from './versions.js';

/** Typed columns by name, each `rows` long; missing values are null. */
export interface Table {
  rows: number;
  schema: DataSchema;
  columns: Record<string, Typed[]>;
}

/** Reads the tabular files among `files` (materialised under `dir`) into a Table. */
export async function readTable(
  dir: string,
  files: DatasetFile[],
  schema: DataSchema,
  onRows?: (rows: number) => void,
): Promise<Table> {
  const tabular = files.filter((f) => isTabular(f.path));
  if (tabular.length === 0) throw invalidParam('the dataset version has no tabular files', 'data');
  const names = schema.columns.map((c) => c.name);
  const cols: Typed[][] = names.map(() => []);
  let rows = 0;
  for (const f of tabular) {
    const reader = await openTable(path.join(dir, f.path));
    const typed = rowCoercer(reader, schema, { reuse: true });
    for await (const raw of reader.rows()) {
      const row = typed(raw);
      if (!Array.isArray(row)) continue;
      for (let j = 0; j < cols.length; j++) cols[j]!.push(row[j] ?? null);
      rows++;
      if (onRows && rows % 10_000 === 0) onRows(rows);
    }
  }
  onRows?.(rows);
  return { rows, schema, columns: Object.fromEntries(names.map((n, j) => [n, cols[j]!])) };
}

/** A column of the table, or an error naming the column and the ones there are. */
export function column(table: Table, name: string, field = 'column'): Typed[] {
  const c = table.columns[name];
  if (!c) {
    const has = Object.keys(table.columns).join(', ');
    throw invalidParam(`column "${name}" is not in the dataset (columns: ${has})`, field);
  }
  return c;
}
