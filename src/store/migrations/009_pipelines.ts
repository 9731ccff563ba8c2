import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * Pipelines: their definitions (a parsed keel.yaml pipeline plus the manifest of its workspace
 * files, uploaded as blobs), runs with their trigger, one row per step and run, the step cache
 * (cache key → recorded outputs), and trigger cursors (alert-event and dataset-version positions,
 * the last cron tick considered).
 */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('pipelines')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    // JSON PipelineSpec (src/pipelines/spec/).
    .addColumn('spec', 'text', (c) => c.notNull())
    // The pipeline file as applied, for display.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_file', 'text', (c) => c.notNull())
    // JSON Manifest of the workspace files the steps depend on: path → {sha256, size}.
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    // Snapshots: editing the pipeline never changes a run in flight.
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('workspace', 'text', (c) => c.notNull())
    // JSON params after defaults, `--param` and trigger context.
    .addColumn('params', 'text', (c) => c.notNull())
    // queued (waiting for the concurrency limit) | running | succeeded | failed | cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    // manual | schedule | alert | dataset
    .addColumn('trigger', 'text', (c) => c.notNull())
    // Identifies the event that caused the run (cron tick, alert event id, dataset version): a
    // second scheduler or a replayed event finds the run already there.
    .addColumn('trigger_key', 'text')
    .addColumn('trigger_context', 'text', (c) => c.notNull())
    .addColumn('force', 'integer', (c) => c.notNull())
    .addColumn('tracked_run_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('pipeline_runs_trigger')
    .on('pipeline_runs')
    .columns(['pipeline', 'trigger_key'])
    .unique()
    .execute();
  await db.schema
    .createIndex('pipeline_runs_pipeline')
    .on('pipeline_runs')
    .columns(['pipeline', 'status', 'id'])
    .execute();

  await db.schema
    .createTable('pipeline_steps')
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    // pending | queued | running | succeeded | failed | skipped
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('job_id', 'bigint')
    .addColumn('cache_key', 'text')
    .addColumn('cached', 'integer', (c) => c.notNull())
    // JSON StepOutputs (built-ins) and Manifest of declared outs (commands).
    .addColumn('outputs', 'text', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    // The step's log as a blob, written at the end of every attempt.
    .addColumn('log_sha256', 'text')
    .addColumn('tracked_run_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'step'])
    .execute();

  await db.schema
    .createTable('pipeline_step_cache')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('outputs', 'text', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('pipeline_trigger_state')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    // schedule | alert | dataset, with the trigger's index in the spec.
    .addColumn('trigger', 'text', (c) => c.notNull())
    // Last cron tick considered (ms) | last alert event id | last dataset version created_at.
    .addColumn('cursor', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pipeline_trigger_state_pk', ['pipeline', 'trigger'])
    .execute();
}
