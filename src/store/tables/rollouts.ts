import type { Generated } from 'kysely';

/** Progressive delivery: rollouts and their decisions (src/rollouts/). Owned by migration 010_rollouts. */
export interface RolloutsTable {
  id: Generated<number>;
  deployment: string;
  model: string;
  /** The version being rolled out (the canary). */
  candidate: number;
  /** The primary when the rollout started: what the candidate is compared with. */
  baseline: number;
  /** JSON RolloutPolicy (normalised). */
  policy: string;
  /** running | succeeded | rolled_back | aborted */
  status: string;
  /** Index of the current step in policy.steps. */
  step: number;
  /** Wall time the current step began (ms). */
  step_started_at: number;
  /** JSON RolloutState: log cursors and the current step's accumulated statistics. */
  state: string;
  /** JSON PendingAction: a decided change whose effect on the deployment is not yet confirmed. */
  pending: string | null;
  /** Why it ended (rolled back, aborted), or null. */
  reason: string | null;
  /** A caller's key: starting again with the same key returns this rollout (pipeline retries). */
  idempotency_key: string | null;
  /** Bumped by every write; writes check it so the controller and an abort never interleave. */
  revision: number;
  lease_owner: string | null;
  lease_until: number;
  created_at: number;
  created_by: string;
  updated_at: number;
  finished_at: number | null;
}

export interface RolloutDecisionsTable {
  id: Generated<number>;
  rollout_id: number;
  deployment: string;
  step: number;
  /** The canary weight of the step decided on. */
  weight: number;
  /** started | step_passed | promoted | rolled_back | aborted */
  kind: string;
  reason: string;
  /** JSON Evidence: every check with its values and thresholds. */
  evidence: string;
  /** Event time the decision was made at (the step's latest logged event), when known. */
  event_time: number | null;
  actor: string;
  at: number;
}

/**
 * Failed inferences per route, appended by the prediction log worker at each checkpoint (one row
 * per deployment, version, route and event-time window with failures since the last checkpoint):
 * canary analysis reads them in id order, as it reads prediction records.
 */
export interface PredictionErrorsTable {
  id: Generated<number>;
  deployment: string;
  model: string;
  version: number;
  route: string;
  window_start: number;
  window_ms: number;
  /** Rows of the failed requests. */
  rows: number;
  requests: number;
  first_event_time: number;
  last_event_time: number;
  /** JSON {reason: rows}, e.g. {"model_error": 3, "timeout": 1}. */
  reasons: string;
  written_at: number;
}

export type RolloutTables = {
  rollouts: RolloutsTable;
  rollout_decisions: RolloutDecisionsTable;
  prediction_errors: PredictionErrorsTable;
};
