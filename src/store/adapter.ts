import { type ColumnDefinitionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { MetricsTable, PredictionRecordsTable, Schema } from './schema.js';

export type MetricRow = Omit<MetricsTable, 'id'>;
export type PredictionRecordRow = Omit<PredictionRecordsTable, 'id'>;

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
  /** Appends prediction records (one per predicted row): the prediction log's write path. */
  insertPredictionRecords(db: Kysely<Schema>, rows: readonly PredictionRecordRow[]): Promise<void>;
  /**
   * Locks the rows a queue claim selects: PostgreSQL takes row locks and skips rows another
   * claimer holds (`FOR UPDATE SKIP LOCKED`), so claimers never wait on each other; SQLite has no
   * row locks, and the claim's `BEGIN IMMEDIATE` transaction already excludes every other writer.
   */
  skipLocked<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
}

/**
 * SQLite: one short statement whose single parameter is the rows as a JSON array, expanded by
 * json_each in C. A multi-row VALUES insert of 500 rows × 9 columns costs more to prepare than to run
 * (better-sqlite3 prepares per execution); this one prepares in microseconds at any batch size.
 */
async function insertRecordsJson(db: Kysely<Schema>, rows: readonly PredictionRecordRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(
    rows.map((r) => [
      r.deployment,
      r.request_id,
      r.row,
      r.model,
      r.version,
      r.route,
      r.event_time,
      r.latency_us,
      r.prediction,
    ]),
  );
  await sql`insert into prediction_records
    (deployment, request_id, row, model, version, route, event_time, latency_us, prediction)
    select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
      value ->> 7, value ->> 8
    from json_each(${json})`.execute(db);
}

/** PostgreSQL: one statement with an array per column (constant parse and plan time). */
async function insertRecordsUnnest(db: Kysely<Schema>, rows: readonly PredictionRecordRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into prediction_records
    (deployment, request_id, row, model, version, route, event_time, latency_us, prediction)
    select * from unnest(
      ${rows.map((r) => r.deployment)}::text[], ${rows.map((r) => r.request_id)}::text[],
      ${rows.map((r) => r.row)}::int[], ${rows.map((r) => r.model)}::text[],
      ${rows.map((r) => r.version)}::int[], ${rows.map((r) => r.route)}::text[],
      ${rows.map((r) => r.event_time)}::int8[], ${rows.map((r) => r.latency_us)}::int[],
      ${rows.map((r) => r.prediction)}::text[])`.execute(db);
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
  insertPredictionRecords: insertRecordsJson,
  skipLocked: (qb) => qb,
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
  insertPredictionRecords: insertRecordsUnnest,
  skipLocked: (qb) => qb.forUpdate().skipLocked(),
  isUniqueViolation: (e) => (e as { code?: unknown }).code === '23505',
};
