import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import type { DatabaseConfig } from '../core/config.js';
import type { DialectAdapter } from './adapter.js';
import type { Store } from './db.js';
import * as m001 from './migrations/001_tracking.js';
import * as m002 from './migrations/002_platform.js';
import * as m003 from './migrations/003_default_experiment.js';
import * as m004 from './migrations/004_datasets.js';
import * as m005 from './migrations/005_registry.js';
import * as m006 from './migrations/006_serving.js';
import * as m007 from './migrations/007_monitoring.js';
import * as m008 from './migrations/008_jobs.js';
import * as m009 from './migrations/009_pipelines.js';
import * as m010 from './migrations/010_rollouts.js';

/** Ordered, named migrations. Append only; never edit one that has shipped. */
function migrations(adapter: DialectAdapter): Record<string, Migration> {
  const wrap = (up: (db: Kysely<unknown>, a: DialectAdapter) => Promise<void>): Migration => ({
    up: (db) => up(db, adapter),
  });
  return {
    '001_tracking': wrap(m001.up),
    '002_platform': wrap(m002.up),
    '003_default_experiment': wrap(m003.up),
    '004_datasets': wrap(m004.up),
    '005_registry': wrap(m005.up),
    '006_serving': wrap(m006.up),
    '007_monitoring': wrap(m007.up),
    '008_jobs': wrap(m008.up),
    '009_pipelines': wrap(m009.up),
    '010_rollouts': wrap(m010.up),
  };
}

function migratorFor(store: Store, config: DatabaseConfig): Migrator {
  return new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations(store.adapter) },
    ...(config.kind === 'postgres' && config.schema ? { migrationTableSchema: config.schema } : {}),
  });
}

/**
 * Brings the schema up to date. Kysely's Migrator takes a lock (an advisory lock on PostgreSQL,
 * the write lock of BEGIN IMMEDIATE on SQLite), so processes starting together are safe.
 */
export async function migrate(store: Store, config: DatabaseConfig): Promise<void> {
  if (config.kind === 'postgres' && config.schema) {
    try {
      await sql`create schema if not exists ${sql.id(config.schema)}`.execute(store.db);
    } catch (e) {
      // IF NOT EXISTS is not concurrency-safe: a replica starting at the same moment may have
      // created it between the check and the insert (unique_violation / duplicate_schema).
      const code = (e as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw e;
    }
  }
  const { error, results } = await migratorFor(store, config).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, { cause: error });
  }
}

/** Names of migrations not yet applied (for /ready). */
export async function pendingMigrations(store: Store, config: DatabaseConfig): Promise<string[]> {
  const all = await migratorFor(store, config).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
