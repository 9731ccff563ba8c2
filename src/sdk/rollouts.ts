import type { RolloutPolicyInput } from '../rollouts/policy.js';
import type { Rollout, RolloutDetail, RolloutPolicy, RolloutStatus } from '../rollouts/types.js';
import { Api } from './api.js';
import { seg } from './codec.js';
import type { VersionRef } from './deployments.js';
import type { Transport } from './transport.js';

export type { RolloutPolicyInput } from '../rollouts/policy.js';
export type {
  CheckResult,
  DecisionKind,
  Evidence,
  Hold,
  Rollout,
  RolloutDecision,
  RolloutDetail,
  RolloutPolicy,
  RolloutStatus,
  RolloutStep,
  StepProgress,
} from '../rollouts/types.js';

export interface StartRolloutOptions {
  /** The candidate: `3`, `'@challenger'`, `'credit@3'`. */
  model: VersionRef;
  /**
   * Steps, holds and checks (snake_case, as in a policy file); absent fields take their defaults.
   * A rollout's stored `policy` is accepted too, to start another rollout like it.
   */
  policy?: RolloutPolicyInput | RolloutPolicy;
  /** Starting again with the same key returns the rollout it started. */
  key?: string;
}

/** Progressive delivery: canary steps with automatic analysis, promotion or rollback. */
export class Rollouts {
  constructor(private readonly api: Api) {}

  private base(deployment: string): string {
    return `/api/v1/deployments/${seg(deployment)}/rollouts`;
  }

  /** Starts rolling a version out; the candidate serves the first step's weight when this returns. */
  start(deployment: string, opts: StartRolloutOptions): Promise<RolloutDetail> {
    return this.api.json({ method: 'POST', path: this.base(deployment), json: opts });
  }

  /** A deployment's rollouts, newest first. */
  async list(deployment: string, opts: { status?: RolloutStatus; limit?: number } = {}): Promise<Rollout[]> {
    const query = { status: opts.status, limit: opts.limit };
    return (
      await this.api.json<{ rollouts: Rollout[] }>({ method: 'GET', path: this.base(deployment), query })
    ).rollouts;
  }

  /** A rollout with its decisions and their evidence. */
  get(deployment: string, id: number): Promise<RolloutDetail> {
    return this.api.json({ method: 'GET', path: `${this.base(deployment)}/${id}` });
  }

  /** Aborts a running rollout: the canary is removed. */
  abort(deployment: string, id: number, reason?: string): Promise<RolloutDetail> {
    return this.api.json({
      method: 'POST',
      path: `${this.base(deployment)}/${id}/abort`,
      json: reason === undefined ? {} : { reason },
    });
  }

  /**
   * Polls until the rollout is no longer running (or `signal` aborts); returns it as it ended.
   * The controller runs in `keel server`; without one a rollout waits.
   */
  async wait(
    deployment: string,
    id: number,
    opts: { intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<RolloutDetail> {
    for (;;) {
      const r = await this.get(deployment, id);
      if (r.status !== 'running') return r;
      opts.signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.intervalMs ?? 2000);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      opts.signal?.throwIfAborted();
    }
  }
}

/** The rollouts API of any client or transport (`new Keel(...)` exposes its transport). */
export const rolloutsOf = (client: { transport: Transport }): Rollouts =>
  new Rollouts(new Api(client.transport));
