import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { MetricsTable, Schema } from './schema.js';

export type MetricRow = Omit<MetricsTable, 'id'>;

/**
 * Everything that differs between SQLite and PostgreSQL, in one place. Domain code asks the
 * adapter; it never branches on the dialect name.
 */
export interface DialectAdapter {
  readonly dialect: 'sqlite' | 'postgres';
  /** Column type for an auto-incrementing 64-bit primary key. */
  readonly autoIdType: 'integer' | 'bigserial';
  /** Builder tweak for that column (SQLite wants AUTOINCREMENT-free INTEGER PRIMARY KEY = rowid). */
  autoId(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /**
   * Byte-order comparison for a text column, so prefix range scans (`>= 'a/' and < 'a0'`) are
   * correct: SQLite compares bytes already, PostgreSQL's default collation does not.
   */
  binaryText(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Max bind parameters per statement; bulk inserts are chunked below it. */
  readonly maxParams: number;
  /** Whether a driver error is a unique/primary-key violation (a concurrent writer got there first). */
  isUniqueViolation(e: unknown): boolean;
  /** Appends metric history rows: the ingestion hot path, so each dialect uses its fastest form. */
  insertMetrics(db: Kysely<Schema>, rows: MetricRow[]): Promise<void>;
}

/** Multi-row VALUES, chunked under the bind-parameter limit (SQLite prepares it natively in C). */
async function insertMetricsValues(db: Kysely<Schema>, rows: MetricRow[], maxParams: number): Promise<void> {
  const chunk = Math.floor(maxParams / 6);
  for (let i = 0; i < rows.length; i += chunk) {
    await db
      .insertInto('metrics')
      .values(rows.slice(i, i + chunk))
      .execute();
  }
}

/**
 * One statement with six array parameters instead of 6 × N scalars: PostgreSQL parses and plans
 * it in constant time, which is what makes 1000-metric batches cheap.
 */
async function insertMetricsUnnest(db: Kysely<Schema>, rows: MetricRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into metrics (run_id, key, value, is_nan, timestamp, step)
    select * from unnest(
      ${rows.map((r) => r.run_id)}::text[], ${rows.map((r) => r.key)}::text[],
      ${rows.map((r) => r.value)}::float8[], ${rows.map((r) => r.is_nan)}::int[],
      ${rows.map((r) => r.timestamp)}::int8[], ${rows.map((r) => r.step)}::int8[])`.execute(db);
}

export const sqliteAdapter: DialectAdapter = {
  dialect: 'sqlite',
  autoIdType: 'integer',
  autoId: (col) => col.primaryKey(),
  binaryText: (col) => col,
  maxParams: 32_000,
  insertMetrics: (db, rows) => insertMetricsValues(db, rows, 32_000),
  isUniqueViolation: (e) =>
    /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(String((e as { code?: unknown }).code)),
};

export const postgresAdapter: DialectAdapter = {
  dialect: 'postgres',
  autoIdType: 'bigserial',
  autoId: (col) => col.primaryKey(),
  binaryText: (col) => col.modifyFront(sql`collate "C"`),
  maxParams: 65_000,
  insertMetrics: insertMetricsUnnest,
  isUniqueViolation: (e) => (e as { code?: unknown }).code === '23505',
};
