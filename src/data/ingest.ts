import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidParam } from '../core/errors.js';
import { DatasetProfiler } from '../stats/profile.js';
import type { DatasetProfile } from '../stats/types.js';
import { columnCoercer } from './formats/columnar.js';
import { isTabular, openTable } from './formats/index.js';
import type { BadRow, DataSchema, TableReader } from './formats/types.js';
import { type HashCache, hashFiles, walkFiles } from './hashing/index.js';
import { inferSchema, parseSchemaFile, rowCoercer } from './schema.js';
import type { DatasetFile } from './versions.js';

export interface LocalFile extends DatasetFile {
  /** Where the file is on this machine. */
  absPath: string;
}

export interface PreparedVersion {
  files: LocalFile[];
  rows: number;
  badRows: number;
  /** Malformed rows with file and line (the first 100 are kept for the report). */
  bad: BadRow[];
  schema: DataSchema | null;
  profile: DatasetProfile | null;
}

export interface PrepareOptions {
  cache?: HashCache;
  schemaFile?: string | undefined;
  delimiter?: string | undefined;
  strict?: boolean;
  /** Histogram edges of the previous version, so versions are compared on identical bins. */
  edges?: Record<string, number[]>;
  onHashProgress?: (done: number, total: number) => void;
  onRows?: (rows: number) => void;
}

const BAD_KEPT = 100;

/** Rows profiled and rows rejected (the first BAD_KEPT of them kept with their reasons). */
class Tally {
  rows = 0;
  badRows = 0;
  readonly bad: BadRow[] = [];
  constructor(private readonly opts: PrepareOptions) {}

  /** Counts a malformed row; in strict mode (for rows this tally typed) it rejects the version. */
  reject(row: BadRow, typed: boolean): void {
    if (typed && this.opts.strict) throw invalidParam(`${row.file}:${row.line}: ${row.reason}`, 'row');
    this.badRows++;
    if (this.bad.length < BAD_KEPT) this.bad.push(row);
  }

  /** Counts profiled rows, reporting progress every 100,000. */
  accept(n: number): void {
    const before = this.rows;
    this.rows += n;
    if (Math.floor(this.rows / 100_000) > Math.floor(before / 100_000)) this.opts.onRows?.(this.rows);
  }
}

/** Row formats (CSV, JSON Lines): type each row, profile it, count the ones that do not fit. */
async function profileRows(
  reader: TableReader,
  schema: DataSchema,
  profiler: DatasetProfiler,
  tally: Tally,
): Promise<void> {
  // The profiler reads each row and keeps none of it: one typed array serves every row.
  const typed = rowCoercer(reader, schema, { reuse: true });
  for await (const raw of reader.rows()) {
    const row = typed(raw);
    if (Array.isArray(row)) {
      profiler.addRow(row);
      tally.accept(1);
    } else tally.reject(row, true);
  }
}

/** Columnar formats (Parquet): type and profile a column at a time, rows that do not fit masked out. */
async function profileColumns(
  reader: TableReader,
  schema: DataSchema,
  profiler: DatasetProfiler,
  tally: Tally,
): Promise<void> {
  const typeBatch = columnCoercer(reader, schema);
  for await (const batch of reader.columnBatches!()) {
    const typed = typeBatch(batch);
    for (const b of typed.bad) tally.reject(b, true);
    profiler.addColumns(typed.columns, typed.rowCount, typed.skip);
    tally.accept(typed.rowCount - typed.bad.length);
  }
}

/** Files to store: a file keeps its name, a directory contributes its files relative to itself. */
export async function resolveInputs(paths: string[]): Promise<{ rel: string; abs: string }[]> {
  const out: { rel: string; abs: string }[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    const st = await fs.stat(abs).catch(() => null);
    if (!st) throw invalidParam(`${p}: no such file or directory`, 'path');
    if (st.isDirectory()) {
      const files = await walkFiles(abs);
      if (files.length === 0) throw invalidParam(`${p}: the directory has no files`, 'path');
      for (const rel of files) out.push({ rel, abs: path.join(abs, rel) });
    } else if (st.isFile()) out.push({ rel: path.basename(abs), abs });
    else throw invalidParam(`${p}: not a regular file or directory`, 'path');
  }
  const seen = new Map<string, string>();
  for (const f of out) {
    const prev = seen.get(f.rel);
    if (prev)
      throw invalidParam(`Two inputs would both be stored as '${f.rel}': ${prev} and ${f.abs}`, 'path');
    seen.set(f.rel, f.abs);
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/**
 * Everything `keel data add` computes before anything is stored: hashes (in parallel, cached),
 * the schema (inferred from the first tabular file, or from a schema file) and one profile
 * merged over every tabular file. Any error here means nothing has been uploaded yet.
 */
export async function prepareVersion(paths: string[], opts: PrepareOptions = {}): Promise<PreparedVersion> {
  const inputs = await resolveInputs(paths);
  const override = opts.schemaFile ? await parseSchemaFile(opts.schemaFile) : undefined;
  const readOpts = { ...(opts.delimiter ? { delimiter: opts.delimiter } : {}), strict: opts.strict ?? false };

  const tabular = inputs.filter((f) => isTabular(f.abs));
  let schema: DataSchema | null = null;
  let profile: DatasetProfile | null = null;
  const tally = new Tally(opts);
  if (tabular.length > 0) {
    const first = await openTable(tabular[0]!.abs, readOpts);
    schema = (await inferSchema(first, 10_000, override)).schema;
    const profiler = new DatasetProfiler(schema.columns, opts.edges ? { edges: opts.edges } : {});
    for (const f of tabular) {
      const reader = await openTable(f.abs, readOpts);
      await (reader.columnBatches ? profileColumns : profileRows)(reader, schema, profiler, tally);
      for (const b of reader.bad) tally.reject(b, false);
    }
    opts.onRows?.(tally.rows);
    profile = profiler.finish(tally.badRows);
  }

  const hashes = await hashFiles(
    inputs.map((f) => f.abs),
    {
      ...(opts.cache ? { cache: opts.cache } : {}),
      ...(opts.onHashProgress ? { onProgress: opts.onHashProgress } : {}),
    },
  );
  await opts.cache?.save();
  const files = inputs.map((f) => {
    const h = hashes.get(f.abs)!;
    return { path: f.rel, size: h.size, sha256: h.sha256, absPath: f.abs };
  });
  return { files, rows: profile?.rows ?? 0, badRows: tally.badRows, bad: tally.bad, schema, profile };
}

/** Histogram edges per column of a stored profile (the reference bins for the next version). */
export function edgesOf(profile: DatasetProfile | null): Record<string, number[]> | undefined {
  if (!profile) return undefined;
  const out: Record<string, number[]> = {};
  for (const c of profile.columns)
    if (c.histogram && c.histogram.edges.length > 1) out[c.name] = c.histogram.edges;
  return out;
}
