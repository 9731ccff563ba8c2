import type { GatePolicyInput } from '../pipelines/gate/policy.js';
import type { GateResult } from '../pipelines/gate/types.js';
import type { Evaluation } from '../registry/types.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

/** Validation gates: judge a candidate version against a policy, and read past gate results. */
export class Gates {
  constructor(private readonly api: Api) {}

  private versionPath(name: string, version: number): string {
    return `/api/v1/models/${seg(name)}/versions/${version}`;
  }

  /**
   * Runs a gate on a version: scores it and the version the policy compares it with on the
   * policy's held-out data, stores the result on it and approves or rejects it (a manual policy
   * leaves a passing version pending). Needs the admin role, like any review.
   */
  run(name: string, version: number, policy: GatePolicyInput): Promise<GateResult> {
    return this.api.json({ method: 'POST', path: `${this.versionPath(name, version)}/gate`, json: policy });
  }

  /** Every gate result recorded on a version, oldest first. */
  async results(name: string, version: number): Promise<GateResult[]> {
    const { evaluations } = await this.api.json<{ evaluations: Evaluation[] }>({
      method: 'GET',
      path: `${this.versionPath(name, version)}/evaluations`,
    });
    const out: GateResult[] = [];
    for (const e of evaluations) {
      const gate = (e.result as { gate?: Omit<GateResult, 'evaluationId'> } | null)?.gate;
      if (gate && typeof gate === 'object') out.push({ ...gate, evaluationId: e.evalId });
    }
    return out;
  }
}
