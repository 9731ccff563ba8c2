/**
 * The rollout controller. Each tick, for every running rollout (one replica at a time, by lease):
 * finish a pending action if one was left; check the deployment still routes what the rollout set;
 * fold the log written since the last tick into the step's statistics; and once the step's hold is
 * reached on event time (N canary predictions and/or T of the traffic's event time), analyse it —
 * pass → next weight, or promote after the last step; fail → roll back and alert. A step that runs
 * past the policy's max_step_duration without reaching its hold fails as inconclusive.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from '../context.js';
import { findDeployment } from '../serving/deployments/store.js';
import type { DeploymentHooks } from '../serving/types.js';
import { analyseStep, lacksLabels, type PerformanceInput } from './analysis.js';
import { foldLog, type Sides } from './log.js';
import { rolloutPerformance } from './performance.js';
import { formatMs } from './policy.js';
import { findRollout, type RolloutRecord, runningRolloutIds, updateIfRevision, waitingFor } from './store.js';
import { abandon, completePending, decide } from './transitions.js';
import type { Evidence } from './types.js';

const LEASE_MS = 5 * 60_000;
const START_GRACE_MS = 60_000;

export interface ControllerOptions {
  /** Lease owner id (default: random per controller). */
  owner?: string;
}

/** What one rollout's evaluation did. */
export type RolloutOutcome =
  | 'waiting'
  | 'advanced'
  | 'promoted'
  | 'rolled_back'
  | 'aborted'
  | 'busy'
  | 'error';

export class RolloutController {
  private readonly owner: string;

  constructor(
    private readonly ctx: Context,
    private readonly hooks: DeploymentHooks,
    opts: ControllerOptions = {},
  ) {
    this.owner = opts.owner ?? randomUUID();
  }

  /** One pass over every running rollout; errors are logged per rollout. */
  async tick(now: number = this.ctx.clock.now()): Promise<Map<number, RolloutOutcome>> {
    const out = new Map<number, RolloutOutcome>();
    for (const id of await runningRolloutIds(this.ctx.store.db)) {
      if (!(await this.lease(id, now))) {
        out.set(id, 'busy');
        continue;
      }
      try {
        out.set(id, await this.evaluate(id));
      } catch (err) {
        out.set(id, 'error');
        this.ctx.logger.warn({ rollout: id, err }, 'rollout evaluation failed; retried on the next tick');
      } finally {
        await this.release(id);
      }
    }
    return out;
  }

  private async lease(id: number, now: number): Promise<boolean> {
    const r = await this.ctx.store.db
      .updateTable('rollouts')
      .set({ lease_owner: this.owner, lease_until: now + LEASE_MS })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_until', '<', now), eb('lease_owner', '=', this.owner)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async release(id: number): Promise<void> {
    await this.ctx.store.db
      .updateTable('rollouts')
      .set({ lease_owner: null, lease_until: 0 })
      .where('id', '=', id)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  /** Evaluates one running rollout now (the caller holds its lease). */
  async evaluate(id: number): Promise<RolloutOutcome> {
    const r = await findRollout(this.ctx.store.db, id);
    if (r?.row.status !== 'running') return 'busy';
    if (r.pending !== null) {
      const kind = r.pending.action;
      // A start is applied by the request that made it; only one abandoned for a minute is finished here.
      if (kind === 'start' && this.ctx.clock.now() - Number(r.row.updated_at) < START_GRACE_MS) return 'busy';
      await completePending(this.ctx, r, this.hooks);
      return outcomeOfAction(kind);
    }
    const drift = await this.routesChanged(r);
    if (drift !== null) {
      await abandon(this.ctx, r, drift);
      return 'aborted';
    }
    const sides: Sides = {
      deployment: r.row.deployment,
      candidate: Number(r.row.candidate),
      baseline: Number(r.row.baseline),
    };
    const folded = await foldLog(this.ctx.store.db, sides, r.state.cursor, r.state.step);
    const state = { ...r.state, cursor: folded.cursor, step: folded.step };
    const stepIndex = Number(r.row.step);
    const policy = r.policy;
    const perfCheck = policy.checks.performance;
    let waiting = waitingFor(policy, stepIndex, state.step);
    let perf: PerformanceInput | null = null;
    if (waiting === null && perfCheck) {
      perf = await rolloutPerformance(this.ctx, r.row.model, sides, r.state.rolloutFrom.records, perfCheck);
      if (perfCheck.require && lacksLabels(policy, perf))
        waiting = `labels: ${perfCheck.min_labels} labelled predictions on each side (canary ${perf?.canary.labelled ?? 0}, primary ${perf?.primary.labelled ?? 0})`;
    }
    const stateJson = JSON.stringify({ ...state, waiting });
    const evidenceOf = (): Evidence =>
      analyseStep({
        policy,
        step: stepIndex,
        candidate: sides.candidate,
        baseline: sides.baseline,
        canary: state.step.canary,
        stepPrimary: state.step.primary,
        earlierPrimary: state.earlierPrimary,
        eventTime: { from: state.step.eventFrom, to: state.step.eventTo },
        performance: perf,
      });
    if (waiting !== null) {
      const span = state.step.eventFrom === null ? 0 : state.step.eventTo! - state.step.eventFrom;
      const limit = policy.max_step_duration_ms;
      if (limit !== null && span >= limit) {
        const reason = `inconclusive: after ${formatMs(span)} of event time step ${stepIndex + 1} still needed ${waiting}`;
        const evidence = { ...evidenceOf(), passed: false, inconclusive: reason };
        await decide(this.ctx, r, { action: 'rollback', reason, evidence }, this.hooks, { state: stateJson });
        return 'rolled_back';
      }
      await updateIfRevision(this.ctx.store.db, r.row.id, Number(r.row.revision), {
        state: stateJson,
        updated_at: this.ctx.clock.now(),
      });
      return 'waiting';
    }
    const evidence = evidenceOf();
    if (!evidence.passed) {
      const reason = evidence.checks
        .filter((c) => c.status === 'failed')
        .map((c) => c.message)
        .join('; ');
      await decide(this.ctx, r, { action: 'rollback', reason, evidence }, this.hooks, { state: stateJson });
      return 'rolled_back';
    }
    const last = stepIndex >= policy.steps.length - 1;
    await decide(this.ctx, r, { action: last ? 'promote' : 'advance', evidence }, this.hooks, {
      state: stateJson,
    });
    return last ? 'promoted' : 'advanced';
  }

  /** Why the deployment no longer routes what the rollout set, or null when it still does. */
  private async routesChanged(r: RolloutRecord): Promise<string | null> {
    const d = await findDeployment(this.ctx.store.db, r.row.deployment);
    if (!d) return `deployment '${r.row.deployment}' was deleted`;
    const s = d.spec;
    const weight = r.policy.steps[Number(r.row.step)]!.weight;
    if (s.primary !== Number(r.row.baseline)) return `the primary is now version ${s.primary}`;
    if (!s.canary) return 'the canary was removed';
    if (s.canary.version !== Number(r.row.candidate)) return `the canary is now version ${s.canary.version}`;
    if (s.canary.weight !== weight) return `the canary's weight is now ${s.canary.weight}%, not ${weight}%`;
    return null;
  }
}

function outcomeOfAction(a: string): RolloutOutcome {
  switch (a) {
    case 'advance':
    case 'start':
      return 'advanced';
    case 'promote':
      return 'promoted';
    case 'rollback':
      return 'rolled_back';
    default:
      return 'aborted';
  }
}
