/**
 * `runGate()`: scores a candidate version and the version it is compared against on exactly the
 * same held-out rows, checks the policy, and records the outcome on the candidate: the full result
 * as an evaluation (marked by its `gate` field) and the decision as a review. Everything that can
 * fail on bad input — the policy, the refs, reading and scoring the data, a policy that does not
 * fit the model — fails before the first write.
 */
import type { Actor } from '../../audit/tx.js';
import type { Context } from '../../context.js';
import { invalidParam } from '../../core/errors.js';
import { column } from '../../data/table.js';
import type { EvalResult } from '../../models/eval/index.js';
import { scoreRows } from '../../monitoring/baseline/build.js';
import { readVersionTable } from '../../monitoring/baseline/data.js';
import { approvalHistory, MAX_REASON_LENGTH, reviewVersion } from '../../registry/approvals.js';
import { addEvaluation } from '../../registry/evaluations.js';
import { resolveModelRef } from '../../registry/resolve.js';
import type { ModelVersion } from '../../registry/types.js';
import { getModelVersion } from '../../registry/versions.js';
import { modelIO } from '../../serving/model-io.js';
import { type Champion, modelChecks } from './checks.js';
import { checkFits, evaluateModel } from './evaluate.js';
import { heldOutData, resolveChampion, trainingDataset } from './inputs.js';
import { type GatePolicy, parseGatePolicy } from './policy.js';
import { qualityChecks } from './quality.js';
import { findGateResult, type GateRecord } from './records.js';
import type { GateCheck, GateOrigin, GateResult } from './types.js';

export interface RunGateInput {
  /** The candidate: `name@N` (or `name@alias`), or its name and version. */
  candidate: string | { name: string; version: number };
  /** A policy object (validated here) or an already parsed one. */
  policy: unknown;
  actor: Actor;
  /** The pipeline step running the gate: a second run of the same step returns the first's result. */
  origin?: GateOrigin;
}

/** Runs the gate on a candidate and records the result and the decision on it. */
export async function runGate(ctx: Context, input: RunGateInput): Promise<GateResult> {
  const policy = parseGatePolicy(input.policy);
  const candidate =
    typeof input.candidate === 'string'
      ? await resolveModelRef(ctx, input.candidate)
      : await getModelVersion(ctx, input.candidate.name, input.candidate.version);
  if (input.origin) {
    const prior = await findGateResult(ctx, candidate.name, candidate.version, input.origin);
    if (prior) {
      await applyDecision(ctx, prior, input.actor);
      return prior;
    }
  }
  const { verdict, evaluation } = await judge(ctx, candidate, policy);
  if (verdict.decision === 'rejected' && candidate.aliases.length > 0) {
    const list = candidate.aliases.join(', ');
    throw invalidParam(
      `${verdict.ref} fails the gate but carries alias ${list}, and a rejected version cannot: ` +
        `remove alias ${list} and run the gate again (failing: ${verdict.reasons.join('; ')})`,
      'candidate',
    );
  }
  const gate: GateRecord['gate'] = {
    ...verdict,
    actor: input.actor,
    evaluatedAt: ctx.clock.now(),
    origin: input.origin ?? null,
  };
  // Stored as an evaluation of the candidate on the held-out data (what model cards show), plus the gate.
  const o = input.origin;
  const record: GateRecord = o
    ? { ...evaluation, gate, tags: { 'keel.pipeline.run': String(o.runId), 'keel.pipeline.step': o.step } }
    : { ...evaluation, gate };
  const stored = await addEvaluation(
    ctx,
    candidate.name,
    candidate.version,
    { datasetRef: gate.data.ref, datasetVersionId: gate.data.versionId, result: record },
    input.actor,
  );
  const result: GateResult = { ...gate, evaluationId: stored.evalId };
  await applyDecision(ctx, result, input.actor);
  return result;
}

type Verdict = Omit<GateResult, 'actor' | 'evaluatedAt' | 'origin' | 'evaluationId'>;

/** Scores both models on the held-out rows and runs every check; writes nothing. */
async function judge(
  ctx: Context,
  candidate: ModelVersion,
  policy: GatePolicy,
): Promise<{ verdict: Verdict; evaluation: EvalResult }> {
  const ref = `${candidate.name}@${candidate.version}`;
  const against = await resolveChampion(ctx, candidate, policy.against);
  const data = await heldOutData(ctx, policy.data);
  const target = policy.target ?? candidate.signature?.metadata['keel.target'];
  if (!target)
    throw invalidParam(`${ref} does not record its target column; give target: in the policy`, 'target');
  const table = await readVersionTable(ctx, data);
  column(table, target, 'target');
  for (const [i, f] of policy.fairness.entries()) column(table, f.sensitive, `fairness[${i}].sensitive`);

  const scored = await scoreRows(ctx, candidate, modelIO(candidate), table);
  checkFits(policy, scored.task, ref);
  const cand = evaluateModel(scored, table, target, policy);
  let champion: Champion = { ref: null, note: against.note ?? '' };
  let championMetrics: EvalResult['metrics'] | null = null;
  if (against.version) {
    const v = against.version;
    const champRef = `${v.name}@${v.version}`;
    const champTarget = v.signature?.metadata['keel.target'];
    if (champTarget !== undefined && champTarget !== target)
      throw invalidParam(
        `${champRef} predicts ${champTarget} and ${ref} predicts ${target}: they cannot be compared`,
        'against',
      );
    const champScored = await scoreRows(ctx, v, modelIO(v), table);
    if (champScored.task !== scored.task)
      throw invalidParam(
        `${champRef} is a ${champScored.task} model and ${ref} a ${scored.task} one: they cannot be compared`,
        'against',
      );
    const e = evaluateModel(champScored, table, target, policy);
    champion = { ref: champRef, eval: e.eval };
    championMetrics = e.result.metrics;
  }

  const checks: GateCheck[] = modelChecks(policy, cand.eval, champion);
  if (policy.data_quality) {
    const training = await trainingDataset(ctx, candidate, data.id);
    checks.push(
      ...(await qualityChecks(
        policy.data_quality,
        { version: data, table: async () => table },
        training ? { version: training, table: () => readVersionTable(ctx, training) } : null,
      )),
    );
  }
  const passed = checks.every((c) => c.passed);
  const verdict: Verdict = {
    model: candidate.name,
    version: candidate.version,
    ref,
    data: { ref: data.ref, versionId: data.id, rows: table.rows },
    target,
    task: scored.task,
    champion: against.version ? { ref: champion.ref!, version: against.version.version } : null,
    passed,
    decision: !passed ? 'rejected' : policy.approval === 'auto' ? 'approved' : 'pending',
    checks,
    reasons: checks.filter((c) => !c.passed).map((c) => c.reason),
    notes: [...new Set(checks.filter((c) => c.skipped).map((c) => c.reason))],
    metrics: { candidate: cand.result.metrics, champion: championMetrics },
    policy,
  };
  return { verdict, evaluation: cand.result };
}

/** Records the gate's approval or rejection, unless it already has been (a re-run of the same step). */
async function applyDecision(ctx: Context, r: GateResult, actor: Actor): Promise<void> {
  if (r.decision === 'pending') return;
  const history = await approvalHistory(ctx, r.model, r.version);
  if (history.some((h) => h.time >= r.evaluatedAt && h.status === r.decision && h.actor === actor)) return;
  const where = `on ${r.data.ref}${r.champion ? ` against ${r.champion.ref}` : ''}`;
  const reason =
    r.decision === 'approved'
      ? `gate passed ${where}: ${r.checks.length} checks`
      : `gate failed ${where}: ${r.reasons.join('; ')}`;
  await reviewVersion(
    ctx,
    r.model,
    r.version,
    {
      status: r.decision,
      reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason,
    },
    actor,
  );
}
