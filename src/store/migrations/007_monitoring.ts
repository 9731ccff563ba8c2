import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * Monitoring: monitors (their spec as JSON), the reference baselines they compare against, one
 * result per (monitor, route, window) replaced on re-evaluation, the evaluation runs (jobs), and
 * alerting — channels, alerts with their event log (what pipelines subscribe to), and webhook
 * deliveries with one row per attempt.
 */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('monitors')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    // JSON MonitorSpec (src/monitoring/types.ts).
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    // Feedback received up to here has been folded into results (late labels re-open windows).
    .addColumn('labels_cursor', 'bigint', (c) => c.notNull())
    // Log windows updated up to here have been evaluated (or are still open).
    .addColumn('windows_cursor', 'bigint', (c) => c.notNull())
    // One evaluator at a time across replicas: whoever holds an unexpired lease.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('monitors_deployment').on('monitors').column('deployment').execute();

  // What a monitor compares against, per model version: profile of features and predictions, the
  // calibration for label-free estimation, and the reference's own metrics.
  await db.schema
    .createTable('monitor_baselines')
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // Identifies the reference it was built from; a spec change invalidates it.
    .addColumn('reference_key', 'text', (c) => c.notNull())
    // JSON Baseline.
    .addColumn('baseline', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('monitor_baselines_pk', ['monitor', 'version'])
    .execute();

  await db.schema
    .createTable('monitor_results')
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_end', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('labelled', 'bigint', (c) => c.notNull())
    // JSON flat metrics {key: number|null}: what rules read.
    .addColumn('metrics', 'text', (c) => c.notNull())
    // JSON WindowResult details (drift per column, quality, performance).
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('monitor_results_pk', ['monitor', 'route', 'window_start'])
    .execute();

  await db.schema
    .createTable('monitor_runs')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('monitor', 'text', (c) => c.notNull())
    // schedule | manual | labels | backfill
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('range_from', 'bigint', (c) => c.notNull())
    .addColumn('range_to', 'bigint', (c) => c.notNull())
    // running | succeeded | failed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('windows', 'integer', (c) => c.notNull())
    .addColumn('alert_events', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('monitor_runs_monitor').on('monitor_runs').columns(['monitor', 'id']).execute();

  await db.schema
    .createTable('alert_channels')
    .addColumn('name', 'text', (c) => adapter.binaryText(c).primaryKey())
    // webhook | log
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    // HMAC-SHA256 key for X-Keel-Signature (webhooks); shown once at creation.
    .addColumn('secret', 'text')
    // JSON {maxAttempts, backoffMs, timeoutMs}.
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();

  // One row per alert episode: a rule breaching on a route for N consecutive windows until it stops.
  await db.schema
    .createTable('alerts')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    // open | resolved
    .addColumn('status', 'text', (c) => c.notNull())
    // Event time of the first breaching window of the episode and of the window that opened it.
    .addColumn('first_window', 'bigint', (c) => c.notNull())
    .addColumn('opened_window', 'bigint', (c) => c.notNull())
    .addColumn('last_window', 'bigint', (c) => c.notNull())
    .addColumn('resolved_window', 'bigint')
    .addColumn('value', 'double precision')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('alerts_rule')
    .on('alerts')
    .columns(['monitor', 'rule', 'route', 'opened_window'])
    .unique()
    .execute();

  // The alert event log: append-only, ids increase, so a subscriber (a pipeline trigger) reads
  // "events after id N" and never misses or repeats one.
  await db.schema
    .createTable('alert_events')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('alert_id', 'bigint', (c) => c.notNull())
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    // opened | updated | resolved
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    // JSON AlertEventPayload: what webhooks receive.
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_events_alert').on('alert_events').column('alert_id').execute();
  await db.schema.createIndex('alert_events_monitor').on('alert_events').columns(['monitor', 'id']).execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    // pending | delivered | failed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    // A delivering process claims a row until then (replicas never send one event twice at once).
    .addColumn('claimed_until', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alert_deliveries_due')
    .on('alert_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema.createIndex('alert_deliveries_event').on('alert_deliveries').column('event_id').execute();

  await db.schema
    .createTable('alert_delivery_attempts')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('delivery_id', 'bigint', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alert_delivery_attempts_delivery')
    .on('alert_delivery_attempts')
    .column('delivery_id')
    .execute();
}
