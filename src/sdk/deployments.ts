import type { BatchingSpec, Deployment, DeploymentStatus, LogSpec, StickySpec } from '../serving/types.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

export type {
  BatchingSpec,
  Deployment,
  DeploymentSpec,
  DeploymentStatus,
  LogSpec,
  StickySpec,
  Variant,
  VersionStatus,
} from '../serving/types.js';

/** A version of the deployment's model: `3`, `'@challenger'`, `'credit@3'`, `'credit@challenger'`. */
export type VersionRef = string | number;

/** A deployment as read, with what the answering server has loaded of it (null: nothing). */
export type DeploymentDetail = Deployment & { status: DeploymentStatus | null };

export interface CreateDeploymentOptions {
  name: string;
  /** The primary: `credit@3`, `credit@champion`, or `credit` (its latest approved version). */
  model: string;
  description?: string;
  batching?: Partial<BatchingSpec>;
  log?: Partial<LogSpec>;
}

/**
 * A traffic change: absent keys stay as they are, `null` clears. `canary: { weight }` re-weights
 * the current canary; `variants` and `shadows` replace their lists.
 */
export interface TrafficChange {
  canary?: { ref?: VersionRef; version?: number; weight?: number } | null;
  variants?: { name: string; ref?: VersionRef; version?: number; weight: number }[] | null;
  shadows?: VersionRef[] | null;
  sticky?: StickySpec | null;
}

/** Deployments: a registered model's versions behind one name, with canary, A/B and shadow routes. */
export class Deployments {
  constructor(private readonly api: Api) {}

  private base(name: string): string {
    return `/api/v1/deployments/${seg(name)}`;
  }

  /** Deploys the version `model` names as the primary of a new deployment. */
  create(opts: CreateDeploymentOptions): Promise<Deployment> {
    return this.api.json({ method: 'POST', path: '/api/v1/deployments', json: opts });
  }

  get(name: string): Promise<DeploymentDetail> {
    return this.api.json({ method: 'GET', path: this.base(name) });
  }

  /** Every deployment, by name. */
  async list(): Promise<DeploymentDetail[]> {
    return (
      await this.api.json<{ deployments: DeploymentDetail[] }>({ method: 'GET', path: '/api/v1/deployments' })
    ).deployments;
  }

  /** Changes the description, batching or log settings (each one not given keeps its value). */
  update(
    name: string,
    patch: { description?: string; batching?: Partial<BatchingSpec>; log?: Partial<LogSpec> },
  ): Promise<Deployment> {
    return this.api.json({ method: 'PATCH', path: this.base(name), json: patch });
  }

  async delete(name: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: this.base(name) });
  }

  /** Sets or clears the canary, A/B variants, shadows and sticky assignment. */
  setTraffic(name: string, change: TrafficChange): Promise<Deployment> {
    return this.api.json({ method: 'POST', path: `${this.base(name)}/traffic`, json: change });
  }

  /** The canary becomes the primary; the old primary is kept for rollback. */
  promote(name: string): Promise<Deployment> {
    return this.api.json({ method: 'POST', path: `${this.base(name)}/promote`, json: {} });
  }

  /** The previous primary comes back; the canary is cleared. */
  rollback(name: string): Promise<Deployment> {
    return this.api.json({ method: 'POST', path: `${this.base(name)}/rollback`, json: {} });
  }

  /** Switches the primary directly to the version `ref` names. */
  setPrimary(name: string, ref: VersionRef): Promise<Deployment> {
    return this.api.json({ method: 'POST', path: `${this.base(name)}/primary`, json: { model: ref } });
  }
}
