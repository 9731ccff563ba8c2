import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  type DialectAdapter as KyselyAdapter,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../core/config.js';
import { type DialectAdapter, postgresAdapter, sqliteAdapter } from './adapter.js';
import type { Schema } from './schema.js';

export type Db = Kysely<Schema>;

/** An open metadata database: the Kysely handle plus the adapter describing its dialect. */
export interface Store {
  db: Db;
  adapter: DialectAdapter;
  close(): Promise<void>;
}

/**
 * SQLite's default deferred BEGIN takes the write lock at the first write, and a read-then-write
 * transaction then fails with SQLITE_BUSY (no busy wait) when another process wrote meanwhile.
 * BEGIN IMMEDIATE takes the lock up front so concurrent CLI and server processes simply queue
 * behind the busy timeout.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely's SQLite adapter declares no transactional DDL, so its Migrator would run without a
 * transaction and two processes starting on a fresh file would both create the tables. SQLite
 * does run DDL in transactions: saying so makes migrations run inside BEGIN IMMEDIATE, one
 * process at a time.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): KyselyAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  // The busy timeout first: switching to WAL may itself wait on another process.
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // MLflow's LIKE is case-sensitive (ILIKE is not); PostgreSQL agrees, SQLite needs this pragma.
  sqlite.pragma('case_sensitive_like = ON');
  const db = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  return { db, adapter: sqliteAdapter, close: () => db.destroy() };
}

// int8 (bigint) columns hold epoch milliseconds and counters, all well inside 2^53.
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format),
};

function openPostgres(url: string, schema: string | undefined): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types: pgTypes,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { db, adapter: postgresAdapter, close: () => db.destroy() };
}

/** Opens the metadata database described by `config` (no migrations run here). */
export function openStore(config: DatabaseConfig): Store {
  return config.kind === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url, config.schema);
}
