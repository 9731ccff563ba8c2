/**
 * `uses: deploy`: puts a model version into service. A deployment that does not exist yet is
 * created with the version as its primary; an existing one gets a rollout of it (canary steps with
 * automatic analysis, then promotion or rollback), or with `rollout: false` a direct switch of the
 * primary. Started with the key `pipeline:<name>/run:<id>/step:<step>`, so a retried step finds the
 * rollout its first attempt started instead of starting a second. With `wait: true` the step lasts
 * until the rollout ends and fails when it did not succeed.
 */
import { z } from 'zod';
import { invalidParam, KeelError } from '../../../core/errors.js';
import { parseModelRef } from '../../../registry/resolve.js';
import { parsePolicy } from '../../../rollouts/policy.js';
import type { RolloutPolicy } from '../../../rollouts/types.js';
import { type DeploymentDetail, type Keel, KeelApiError } from '../../../sdk/index.js';
import { type RolloutDetail, rolloutsOf } from '../../../sdk/rollouts.js';
import { validateDeploymentName } from '../../../serving/deployments/spec.js';
import type { Builtin, BuiltinContext, BuiltinResult } from '../types.js';
import { asWithError, boolean, holdsReference, parseWith, text } from './with.js';

const USES = 'deploy';

const Schema = z.strictObject({
  deployment: text,
  /** The version to serve, e.g. `${steps.register.outputs.ref}`. */
  model: text,
  /** A rollout policy (steps, hold, checks…), or false to switch the primary directly. */
  rollout: z
    .union([z.literal(false), z.record(z.string(), z.unknown())], {
      error: 'must be a rollout policy (a mapping) or false',
    })
    .optional(),
  wait: boolean.optional(),
});

export type DeployWith = {
  deployment: string;
  model: string;
  /** false: no rollout; null: still holds unresolved references. */
  rollout: RolloutPolicy | false | null;
  wait: boolean;
};

/** The rollout key of one step of one pipeline run. */
export const rolloutKey = (b: Pick<BuiltinContext, 'pipeline' | 'runId' | 'step'>): string =>
  `pipeline:${b.pipeline}/run:${b.runId}/step:${b.step}`;

async function findDeployment(keel: Keel, name: string): Promise<DeploymentDetail | null> {
  try {
    return await keel.deployments.get(name);
  } catch (e) {
    if (e instanceof KeelApiError && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
    throw e;
  }
}

const result = (
  deployment: string,
  ref: string,
  status: string,
  rollout: RolloutDetail | null = null,
): BuiltinResult => ({
  outputs: { deployment, model: ref, status, rollout_id: rollout?.id ?? null },
  ...(rollout
    ? { metrics: { rollout_steps_passed: rollout.decisions.filter((d) => d.kind === 'step_passed').length } }
    : {}),
});

export const deployStep: Builtin<DeployWith> = {
  name: USES,
  description:
    'serve a model version: create the deployment, or roll the version out as a canary with automatic analysis (promote or roll back), or switch the primary with rollout: false',

  parse(withArgs, opts) {
    const { value, pending } = parseWith(USES, Schema, withArgs, opts);
    if (!pending.has('deployment')) {
      try {
        validateDeploymentName(value.deployment, 'deployment');
      } catch (e) {
        throw asWithError(USES, 'deployment', e);
      }
    }
    if (!pending.has('model')) {
      try {
        parseModelRef(value.model);
      } catch (e) {
        throw asWithError(USES, 'model', e);
      }
    }
    const wait = value.wait === undefined || pending.has('wait') ? false : (value.wait as boolean);
    const raw = value.rollout;
    if (raw === false) return { deployment: value.deployment, model: value.model, rollout: false, wait };
    if (!opts.resolved && (pending.has('rollout') || holdsReference(raw)))
      return { deployment: value.deployment, model: value.model, rollout: null, wait };
    try {
      return {
        deployment: value.deployment,
        model: value.model,
        rollout: parsePolicy(raw ?? {}, 'with.rollout'),
        wait,
      };
    } catch (e) {
      if (e instanceof KeelError && e.code === 'INVALID_PARAMETER_VALUE')
        throw invalidParam(`${USES}: ${e.message}`, String(e.details?.['field'] ?? 'with.rollout'));
      throw e;
    }
  },

  // Never cached: what it does depends on what the deployment serves now, not only on its inputs.
  fingerprint: async () => false,

  async run(b) {
    const w = b.with;
    if (w.rollout === null)
      throw invalidParam(`${USES}: with.rollout holds unresolved references`, 'with.rollout');
    const keel = b.keel;
    const v = await keel.models.resolve(w.model);
    const ref = `${v.name}@${v.version}`;
    const d = await findDeployment(keel, w.deployment);
    if (!d) {
      b.log(`creating deployment ${w.deployment} serving ${ref}`);
      await keel.deployments.create({ name: w.deployment, model: ref });
      return result(w.deployment, ref, 'created');
    }
    if (d.spec.model !== v.name)
      throw invalidParam(
        `${USES}: deployment '${w.deployment}' serves model ${d.spec.model}, not ${v.name}`,
        'with.model',
      );
    const rollouts = rolloutsOf(keel);
    const key = rolloutKey(b);
    if (d.spec.primary === v.version) {
      // Already serving: created by an earlier attempt of this step, promoted by its rollout, or simply current.
      const mine = (await rollouts.list(w.deployment, { limit: 20 })).find((r) => r.key === key);
      if (mine) return result(w.deployment, ref, mine.status, await rollouts.get(w.deployment, mine.id));
      const created = d.revision === 1 && d.createdBy === `pipeline:${b.pipeline}` && d.sourceRef === ref;
      b.log(`${w.deployment} already serves ${ref}`);
      return result(w.deployment, ref, created ? 'created' : 'unchanged');
    }
    if (w.rollout === false) {
      b.log(`switching the primary of ${w.deployment} to ${ref} (no rollout)`);
      await keel.deployments.setPrimary(w.deployment, v.version);
      return result(w.deployment, ref, 'switched');
    }
    let r = await rollouts.start(w.deployment, { model: v.version, policy: w.rollout, key });
    b.log(
      `rollout ${r.id} of ${ref} on ${w.deployment}: steps ${r.policy.steps.map((s) => `${s.weight}%`).join(' → ')}, now at ${r.policy.steps[r.step]?.weight ?? 0}%`,
    );
    if (!w.wait) return result(w.deployment, ref, r.status, r);
    r = await rollouts.wait(w.deployment, r.id, { signal: b.signal });
    for (const dec of r.decisions) b.log(`${dec.kind}: ${dec.reason}`);
    if (r.status !== 'succeeded')
      throw new KeelError(
        'INVALID_STATE',
        `rollout ${r.id} of ${ref} ${r.status.replace('_', ' ')}: ${r.reason ?? ''}`,
        {
          rolloutId: r.id,
        },
      );
    return result(w.deployment, ref, r.status, r);
  },
};
