import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/** Versioned datasets: a version is a manifest of content-addressed files plus schema and profile. */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('dataset_versions')
    .addColumn('version_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // sha256 of the sorted manifest (path, sha256): identical content ⇔ identical hash.
    .addColumn('content_hash', 'text', (c) => adapter.binaryText(c).notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('bad_rows', 'bigint', (c) => c.notNull())
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('dataset_versions_name_version', ['name', 'version'])
    .execute();
  await db.schema
    .createIndex('dataset_versions_hash')
    .on('dataset_versions')
    .columns(['name', 'content_hash'])
    .execute();

  await db.schema
    .createTable('dataset_files')
    .addColumn('version_id', 'text', (c) => c.notNull().references('dataset_versions.version_id'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_files_pk', ['version_id', 'path'])
    .execute();
  await db.schema.createIndex('dataset_files_sha').on('dataset_files').column('sha256').execute();
}
