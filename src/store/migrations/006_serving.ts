import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * Serving: deployments (their routing spec as JSON, a revision that replicas watch), and the
 * prediction log — compact per-prediction records for joining delayed labels, the labels
 * themselves, per-window mergeable profiles, and the sampled raw-row segments in the blob store.
 */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    // The ref the deployment was created from (e.g. credit@champion), for display.
    .addColumn('source_ref', 'text', (c) => c.notNull())
    // JSON DeploymentSpec (src/serving/types.ts).
    .addColumn('spec', 'text', (c) => c.notNull())
    // Bumped by every change: serving replicas reconcile when it moves.
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();

  // One row per predicted row and route: what monitoring joins labels to.
  await db.schema
    .createTable('prediction_records')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('row', 'integer', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('event_time', 'bigint', (c) => c.notNull())
    .addColumn('latency_us', 'integer', (c) => c.notNull())
    // JSON {label?, score?, probabilities?, value?}.
    .addColumn('prediction', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('prediction_records_request')
    .on('prediction_records')
    .columns(['deployment', 'request_id', 'row'])
    .execute();
  await db.schema
    .createIndex('prediction_records_time')
    .on('prediction_records')
    .columns(['deployment', 'event_time'])
    .execute();

  // Delayed labels; a later label for the same row replaces the earlier one.
  await db.schema
    .createTable('prediction_feedback')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('row', 'integer', (c) => c.notNull())
    // JSON label (number or string).
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('event_time', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('received_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('prediction_feedback_pk', ['deployment', 'request_id', 'row'])
    .execute();

  // Mergeable profiles of inputs and outputs per deployment, version, route and event-time window.
  await db.schema
    .createTable('prediction_windows')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_ms', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    // JSON DatasetProfile over input features and prediction outputs.
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prediction_windows_pk', ['deployment', 'version', 'route', 'window_start'])
    .execute();

  // Sampled raw rows (inputs, outputs, request ids) as JSON-lines blobs, one per window checkpoint.
  await db.schema
    .createTable('prediction_segments')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_ms', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    // Rows seen in the window, of which `rows` were sampled.
    .addColumn('seen', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prediction_segments_pk', ['deployment', 'window_start'])
    .execute();
  await db.schema.createIndex('prediction_segments_sha').on('prediction_segments').column('sha256').execute();
}
