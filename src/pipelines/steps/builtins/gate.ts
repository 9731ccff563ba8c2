/**
 * `uses: gate`: the validation gate between `register` and `deploy`. The candidate is scored with
 * the version it is compared against on the policy's held-out data; the result and the decision
 * are stored on the candidate under the actor `pipeline:<name>`. A failing gate fails the step, so
 * nothing downstream runs. A re-run of the same step (a retried or restarted worker) returns the
 * result the first attempt stored instead of judging, and recording, the candidate twice.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { invalidParam, KeelError } from '../../../core/errors.js';
import { readBlob } from '../../../registry/onnx.js';
import { parseModelRef } from '../../../registry/resolve.js';
import {
  expectationsFileOf,
  type GatePolicy,
  GatePolicySchema,
  parseGatePolicy,
  parseGatePolicyText,
} from '../../gate/policy.js';
import { runGate } from '../../gate/run.js';
import type { Builtin } from '../types.js';
import { asWithError, holdsReference, parseWith, text } from './with.js';

const USES = 'gate';

const Schema = GatePolicySchema.partial().extend({
  /** The candidate, e.g. `${steps.register.outputs.ref}`. */
  model: text,
  /** A policy file in the pipeline's workspace, or the policy as a mapping. */
  policy: z
    .union([text, z.record(z.string(), z.unknown())], {
      error: 'must be a policy file path or a mapping of policy fields',
    })
    .optional(),
});

// A type, not an interface: it must fit BuiltinContext's `with: Record<string, unknown>`.
export type GateWith = {
  model: string;
  /** A file to read from the run's workspace; null while `${…}` references are unresolved. */
  policy: GatePolicy | { file: string } | null;
};

export const gateStep: Builtin<GateWith> = {
  name: USES,
  description:
    'validation gate: candidate vs champion on held-out data (metrics, regression, fairness, data quality, calibration); approves or rejects it, and fails the step when it fails',

  parse(withArgs, opts) {
    const { value, pending } = parseWith(USES, Schema, withArgs, opts);
    const { model, policy, ...inline } = value;
    if (!pending.has('model')) {
      try {
        parseModelRef(model);
      } catch (e) {
        throw asWithError(USES, 'model', e);
      }
    }
    const fields = Object.keys(inline);
    if (policy !== undefined && fields.length > 0)
      throw invalidParam(
        `${USES}: give the policy as with.policy or as fields of with, not both (with.${fields[0]})`,
        `with.${fields[0]}`,
      );
    if (policy === undefined && fields.length === 0)
      throw invalidParam(
        `${USES}: with needs a policy: with.policy (a workspace file or a mapping) or its fields (data, metrics, …)`,
        'with.policy',
      );
    if (typeof policy === 'string') return { model, policy: { file: policy } };
    const raw = policy ?? inline;
    if (!opts.resolved && holdsReference(raw)) return { model, policy: null };
    const prefix = policy === undefined ? 'with' : 'with.policy';
    try {
      return { model, policy: parseGatePolicy(raw, { where: () => `${USES}: ${prefix}` }) };
    } catch (e) {
      if (e instanceof KeelError && e.code === 'INVALID_PARAMETER_VALUE') {
        const field = e.details?.['field'];
        throw invalidParam(e.message, typeof field === 'string' ? `${prefix}.${field}` : prefix);
      }
      throw e;
    }
  },

  // Never cached: the champion and the approvals it writes change between runs with the same inputs.
  fingerprint: async () => false,

  async run(b) {
    const w = b.with;
    if (w.policy === null) throw invalidParam(`${USES}: with holds unresolved references`, 'with');
    const policy = 'file' in w.policy ? await workspacePolicy(b.ctx, b.runId, w.policy.file) : w.policy;
    b.log(`gate ${w.model} on ${policy.data} against ${policy.against}`);
    const r = await runGate(b.ctx, {
      candidate: w.model,
      policy,
      actor: `pipeline:${b.pipeline}`,
      origin: { pipeline: b.pipeline, runId: b.runId, step: b.step },
    });
    for (const c of r.checks)
      b.log(`${c.skipped ? 'skip' : c.passed ? 'pass' : 'FAIL'}  ${c.name}: ${c.reason}`);
    b.log(`${r.ref} ${r.decision}`);
    if (!r.passed)
      throw new KeelError('INVALID_STATE', `gate failed: ${r.ref} rejected: ${r.reasons.join('; ')}`, {
        decision: r.decision,
        evaluationId: r.evaluationId,
      });
    const metrics: Record<string, number> = { gate_checks: r.checks.length };
    for (const [k, v] of Object.entries(r.metrics.candidate))
      if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    return {
      outputs: { passed: true, decision: r.decision, model: r.model, version: r.version, ref: r.ref },
      metrics,
    };
  },
};

/**
 * A policy file from the run's workspace (what the client uploaded with the pipeline), with the
 * expectations file it names, relative to the policy's folder.
 */
async function workspacePolicy(ctx: Context, runId: number, file: string): Promise<GatePolicy> {
  const row = await ctx.store.db
    .selectFrom('pipeline_runs')
    .select('workspace')
    .where('id', '=', runId)
    .executeTakeFirst();
  const manifest = (row ? JSON.parse(row.workspace) : {}) as Record<string, { sha256: string }>;
  const read = async (p: string): Promise<string> => {
    const entry = manifest[p];
    if (!entry)
      throw invalidParam(
        `${USES}: with.policy: ${p} is not in the pipeline's workspace; add it to the workspace or give the policy inline`,
        'with.policy',
      );
    return new TextDecoder().decode(await readBlob(ctx, entry.sha256));
  };
  const name = path.posix.normalize(file).replace(/^\.\//, '');
  const text = await read(name);
  const include = expectationsFileOf(text);
  const includeName = include === null ? '' : path.posix.join(path.posix.dirname(name), include);
  const includeText = include === null ? '' : await read(includeName);
  return parseGatePolicyText(text, name, () => ({ text: includeText, name: includeName }));
}
