import { type Kysely, sql } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * Progressive delivery: rollouts (a candidate version stepped through canary weights under a
 * policy, with the analysis state of the current step), their decisions with the evidence each
 * was made on, and the prediction log's failed-inference counts that the error-rate check reads.
 */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('rollouts')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('candidate', 'integer', (c) => c.notNull())
    .addColumn('baseline', 'integer', (c) => c.notNull())
    // JSON RolloutPolicy (src/rollouts/types.ts), normalised.
    .addColumn('policy', 'text', (c) => c.notNull())
    // running | succeeded | rolled_back | aborted
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('step_started_at', 'bigint', (c) => c.notNull())
    // JSON RolloutState: log cursors and the step's accumulated statistics.
    .addColumn('state', 'text', (c) => c.notNull())
    // JSON PendingAction while a decided change to the deployment is being applied.
    .addColumn('pending', 'text')
    .addColumn('reason', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('revision', 'integer', (c) => c.notNull())
    // One controller at a time across replicas: whoever holds an unexpired lease.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('rollouts_deployment').on('rollouts').columns(['deployment', 'id']).execute();
  // At most one running rollout per deployment, whoever starts it and however many replicas race.
  await db.schema
    .createIndex('rollouts_running')
    .on('rollouts')
    .column('deployment')
    .unique()
    .where(sql.ref('status'), '=', sql.lit('running'))
    .execute();

  await db.schema
    .createTable('rollout_decisions')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('rollout_id', 'bigint', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('weight', 'integer', (c) => c.notNull())
    // started | step_passed | promoted | rolled_back | aborted
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    // JSON Evidence.
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('event_time', 'bigint')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rollout_decisions_rollout')
    .on('rollout_decisions')
    .columns(['rollout_id', 'id'])
    .execute();

  // Appended by the prediction log worker; read in id order per deployment.
  await db.schema
    .createTable('prediction_errors')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_ms', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('first_event_time', 'bigint', (c) => c.notNull())
    .addColumn('last_event_time', 'bigint', (c) => c.notNull())
    // JSON {reason: rows}.
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('written_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('prediction_errors_deployment')
    .on('prediction_errors')
    .columns(['deployment', 'id'])
    .execute();
}
