import { type ColumnDefinitionBuilder, sql } from 'kysely';

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
}

export const sqliteAdapter: DialectAdapter = {
  dialect: 'sqlite',
  autoIdType: 'integer',
  autoId: (col) => col.primaryKey(),
  binaryText: (col) => col,
  maxParams: 32_000,
};

export const postgresAdapter: DialectAdapter = {
  dialect: 'postgres',
  autoIdType: 'bigserial',
  autoId: (col) => col.primaryKey(),
  binaryText: (col) => col.modifyFront(sql`collate "C"`),
  maxParams: 65_000,
};
