import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * The model registry: registered models, their numbered versions, tags, aliases, approvals and
 * evaluations. Every child table references its parent with ON UPDATE/DELETE CASCADE (both
 * dialects honour it; SQLite runs with foreign_keys=ON), so a rename or delete of a model is one
 * statement and can never leave rows behind under the old name.
 */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('registered_models')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    // The highest number ever handed out: versions are never reused, even after deletion.
    .addColumn('last_version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('registered_models_updated')
    .on('registered_models')
    .columns(['updated_at', 'name'])
    .execute();

  await db.schema
    .createTable('registered_model_tags')
    .addColumn('name', 'text', (c) =>
      adapter
        .binaryText(c)
        .notNull()
        .references('registered_models.name')
        .onDelete('cascade')
        .onUpdate('cascade'),
    )
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pk', ['name', 'key'])
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('name', 'text', (c) =>
      adapter
        .binaryText(c)
        .notNull()
        .references('registered_models.name')
        .onDelete('cascade')
        .onUpdate('cascade'),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('run_link', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // MLflow's deprecated stages (None, Staging, Production, Archived), kept for its clients.
    .addColumn('current_stage', 'text', (c) => c.notNull().defaultTo('None'))
    .addColumn('onnx_sha256', 'text')
    .addColumn('onnx_size', 'bigint')
    .addColumn('signature', 'text')
    .addColumn('feature_schema', 'text')
    .addColumn('datasets', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('approval_status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('approval_actor', 'text')
    .addColumn('approval_reason', 'text')
    .addColumn('approval_time', 'bigint')
    .addPrimaryKeyConstraint('model_versions_pk', ['name', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_run').on('model_versions').column('run_id').execute();
  await db.schema.createIndex('model_versions_onnx').on('model_versions').column('onnx_sha256').execute();
  await db.schema
    .createIndex('model_versions_updated')
    .on('model_versions')
    .columns(['updated_at', 'name', 'version'])
    .execute();

  // Children of a version reference (name, version) and follow it on rename and delete.
  await db.schema
    .createTable('model_version_tags')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pk', ['name', 'version', 'key'])
    .addForeignKeyConstraint(
      'model_version_tags_fk',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();

  // One version per alias; moving an alias is an update of `version`.
  await db.schema
    .createTable('model_aliases')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['name', 'alias'])
    .addForeignKeyConstraint(
      'model_aliases_fk',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('model_aliases_version')
    .on('model_aliases')
    .columns(['name', 'version'])
    .execute();

  // Review history; the version row holds the current decision.
  await db.schema
    .createTable('model_approvals')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('name', 'text', (c) => adapter.binaryText(c).notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addForeignKeyConstraint(
      'model_approvals_fk',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('model_approvals_version')
    .on('model_approvals')
    .columns(['name', 'version'])
    .execute();

  await db.schema
    .createTable('model_evaluations')
    .addColumn('eval_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => adapter.binaryText(c).notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('dataset_ref', 'text')
    .addColumn('dataset_version_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addForeignKeyConstraint(
      'model_evaluations_fk',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('model_evaluations_version')
    .on('model_evaluations')
    .columns(['name', 'version', 'created_at'])
    .execute();
}
