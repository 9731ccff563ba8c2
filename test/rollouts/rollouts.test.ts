/**
 * Rollouts against a real server (real onnxruntime, real prediction log, real database): an equal
 * candidate walks its steps and is promoted with the champion alias moved; candidates whose
 * predictions drift, that fail inferences, or that perform worse on labels are rolled back with an
 * alert; holds on event time; inconclusive steps; bad requests; aborts; takeovers; the lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutController } from '../../src/rollouts/index.js';
import type { CheckResult, Evidence, RolloutDecision } from '../../src/sdk/rollouts.js';
import { DIALECTS, type Dialect } from '../helpers/context.js';
import {
  baselineOnnx,
  equalOnnx,
  failingOnnx,
  oppositeOnnx,
  type RolloutServer,
  rolloutServer,
  shiftedOnnx,
  T0,
  truth,
  unwarmableOnnx,
} from './fixture.js';

const SECOND = 1000;

const evidenceOf = (d: RolloutDecision | undefined): Evidence => d!.evidence as Evidence;
const checkOf = (d: RolloutDecision | undefined, name: CheckResult['check']): CheckResult =>
  evidenceOf(d).checks.find((c) => c.check === name)!;
const MINUTE = 60_000;

describe.each(DIALECTS)('rollouts (%s)', (dialect: Dialect) => {
  let s: RolloutServer;
  const v: Record<string, number> = {};

  beforeAll(async () => {
    s = await rolloutServer(dialect);
    v.baseline = await s.register(baselineOnnx());
    v.equal = await s.register(equalOnnx());
    v.shifted = await s.register(shiftedOnnx());
    v.opposite = await s.register(oppositeOnnx());
    v.failing = await s.register(failingOnnx());
    v.unwarmable = await s.register(unwarmableOnnx());
  }, 120_000);

  afterAll(async () => s?.close());

  /** `n` requests of `rows` rows to each of canary and primary at `weight`, one second apart from `from`. */
  async function traffic(
    name: string,
    weight: number,
    n: number,
    from: number,
    o: { x1?: number; rows?: number } = {},
  ) {
    const sent = [];
    for (let i = 0; i < n; i++) {
      const at = from + i * 2 * SECOND;
      sent.push({ ...(await s.send(name, { route: 'canary', weight, at, ...o })), at });
      if (weight < 100)
        sent.push({ ...(await s.send(name, { route: 'primary', weight, at: at + SECOND, ...o })), at });
    }
    return sent;
  }

  const auditOf = async (objectType: string) =>
    (
      await s.env.ctx.store.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'object_id', 'after'])
        .where('object_type', '=', objectType)
        .orderBy('seq')
        .execute()
    ).map((a) => ({ ...a, after: a.after === null ? null : JSON.parse(a.after) }));

  it('walks an equal candidate through its steps and promotes it; champion moves; every decision audited with evidence', async () => {
    await s.deploy('good', v.baseline!);
    await s.keel.models.setAlias('credit', 'champion', v.baseline!);
    const started = await s.rollouts.start('good', {
      model: v.equal!,
      policy: {
        steps: [50, 100],
        hold: '1000p',
        min_predictions: 500,
        checks: { latency: { slack_ms: 1000 } },
      },
    });
    expect(started).toMatchObject({ status: 'running', step: 0, candidate: v.equal, baseline: v.baseline });
    expect(started.decisions.map((d) => d.kind)).toEqual(['started']);
    expect((await s.keel.deployments.get('good')).spec.canary).toEqual({ version: v.equal, weight: 50 });

    expect((await s.tick()).get(started.id)).toBe('waiting');
    const waiting = await s.rollouts.get('good', started.id);
    expect(waiting.progress).toMatchObject({ step: 0, weight: 50, canaryRows: 0 });
    expect(waiting.progress!.waitingFor).toMatch(/1000 more canary predictions/);

    // 100-row requests: a thousand rows a side keep identical models' PSI well inside its noise.
    await traffic('good', 50, 10, T0, { rows: 100 });
    expect((await s.tick()).get(started.id)).toBe('advanced');
    expect((await s.keel.deployments.get('good')).spec.canary).toEqual({ version: v.equal, weight: 100 });
    const mid = await s.rollouts.get('good', started.id);
    const passed = mid.decisions[1]!;
    expect(passed).toMatchObject({ kind: 'step_passed', step: 0, weight: 50, actor: 'rollout:good' });
    const evidence = evidenceOf(passed);
    expect(evidence.canary).toMatchObject({ version: v.equal, rows: 1000, failedRows: 0 });
    expect(evidence.primary).toMatchObject({ version: v.baseline, rows: 1000 });
    expect(evidence.baselineSpan).toBe('step');
    expect(evidence.eventTime).toEqual({ from: T0, to: T0 + 19 * SECOND });
    expect(evidence.checks.map((c) => [c.check, c.status])).toEqual([
      ['error_rate', 'passed'],
      ['latency', 'passed'],
      ['drift', 'passed'],
      ['performance', 'skipped'],
    ]);

    await traffic('good', 100, 10, T0 + MINUTE, { rows: 100 });
    expect((await s.tick()).get(started.id)).toBe('promoted');
    const d = await s.keel.deployments.get('good');
    expect(d.spec).toMatchObject({ primary: v.equal, previous: v.baseline, canary: null });
    expect((await s.keel.models.resolve('credit@champion')).version).toBe(v.equal);
    const done = await s.rollouts.get('good', started.id);
    expect(done.status).toBe('succeeded');
    expect(done.finishedAt).not.toBeNull();
    expect(done.decisions.map((x) => x.kind)).toEqual(['started', 'step_passed', 'promoted']);
    // At 100% the primary takes no traffic: the canary is compared with the primary of the earlier step.
    expect(evidenceOf(done.decisions[2]).baselineSpan).toBe('rollout');

    const audit = (await auditOf('rollout')).filter((a) => a.object_id === String(started.id));
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['rollout.started', 'local'],
      ['rollout.step_passed', 'rollout:good'],
      ['rollout.promoted', 'rollout:good'],
    ]);
    expect(audit[1]!.after.evidence.checks).toHaveLength(4);
    const changes = (await auditOf('deployment')).filter((a) => a.actor === 'rollout:good');
    expect(changes.map((a) => a.action)).toEqual(['deployment.traffic', 'deployment.promote']);
    const alias = (await auditOf('model_alias')).filter((a) => a.actor === 'rollout:good');
    expect(alias).toMatchObject([
      { action: 'model_alias.set', object_id: 'credit@champion', after: { version: v.equal } },
    ]);
    // Nothing left to do: the controller does not touch a finished rollout.
    expect((await s.tick()).has(started.id)).toBe(false);
  });

  it('rolls back a candidate whose predictions drift from the primary’s and raises an alert through the channels', async () => {
    const ch = await s.call('POST', '/api/v1/alert-channels', {
      name: 'ops',
      kind: 'webhook',
      url: 'http://127.0.0.1:9/hook',
    });
    expect(ch.status).toBe(200);
    await s.deploy('drifty', v.baseline!);
    const r = await s.rollouts.start('drifty', {
      model: `credit@${v.shifted}`,
      policy: {
        steps: [50, 100],
        hold: '100p',
        min_predictions: 50,
        checks: { latency: { slack_ms: 1000 } },
        alert: { channels: ['ops'] },
      },
    });
    await traffic('drifty', 50, 10, T0);
    expect((await s.tick()).get(r.id)).toBe('rolled_back');
    const d = await s.keel.deployments.get('drifty');
    expect(d.spec).toMatchObject({ primary: v.baseline, canary: null });
    const done = await s.rollouts.get('drifty', r.id);
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toMatch(/prediction drift vs the primary: PSI .* is above 0.25/);
    const decision = done.decisions.at(-1)!;
    expect(decision).toMatchObject({ kind: 'rolled_back', actor: 'rollout:drifty' });
    const drift = checkOf(decision, 'drift');
    expect(drift.status).toBe('failed');
    expect(drift.value!).toBeGreaterThan(0.25);

    const alerts = await s.call('GET', '/api/v1/alerts?deployment=drifty');
    expect(alerts.body.alerts).toMatchObject([
      {
        monitor: 'rollout:drifty',
        rule: 'canary-analysis',
        route: 'canary',
        status: 'open',
        severity: 'critical',
      },
    ]);
    const events = await s.call('GET', '/api/v1/alert-events?deployment=drifty');
    expect(events.body.events).toHaveLength(1);
    expect(events.body.events[0].payload).toMatchObject({
      type: 'alert.opened',
      monitor: 'rollout:drifty',
      deployment: 'drifty',
      model: 'credit',
      versions: [v.baseline, v.shifted],
      report: `/api/v1/deployments/drifty/rollouts/${r.id}`,
      alert: { rule: 'canary-analysis', status: 'open' },
    });
    expect(events.body.events[0].payload.alert.message).toMatch(/rolled back: prediction drift/);
    const deliveries = await s.call('GET', `/api/v1/alert-deliveries?status=pending`);
    expect(
      deliveries.body.deliveries.filter((x: { deployment: string }) => x.deployment === 'drifty'),
    ).toMatchObject([{ channel: 'ops', status: 'pending', eventId: events.body.events[0].id }]);
    const alertAudit = (await auditOf('alert')).filter((a) => a.actor === 'rollout:drifty');
    expect(alertAudit.map((a) => a.action)).toEqual(['alert.opened']);
  });

  it('rolls back a candidate that fails inferences: failures are counted in the log per route and window', async () => {
    await s.deploy('errors', v.baseline!);
    const r = await s.rollouts.start('errors', {
      model: v.failing!,
      policy: { steps: [50], hold: '50p', min_predictions: 50, checks: { drift: false, latency: false } },
    });
    const sent = await traffic('errors', 50, 6, T0, { x1: 3.5 });
    expect(sent.filter((x) => x.status === 500)).toHaveLength(6);
    expect(sent.filter((x) => x.status === 200)).toHaveLength(6);
    expect((await s.tick()).get(r.id)).toBe('rolled_back');
    const failures = await s.env.ctx.store.db
      .selectFrom('prediction_errors')
      .select(['route', 'version', 'rows', 'requests', 'reasons'])
      .where('deployment', '=', 'errors')
      .execute();
    expect(failures.reduce((n, f) => n + Number(f.rows), 0)).toBe(60);
    expect(failures.every((f) => f.route === 'canary' && Number(f.version) === v.failing)).toBe(true);
    const done = await s.rollouts.get('errors', r.id);
    const evidence = evidenceOf(done.decisions.at(-1));
    expect(evidence.canary).toMatchObject({ rows: 0, failedRows: 60, errorRate: 1 });
    expect(evidence.primary).toMatchObject({ rows: 60, failedRows: 0, errorRate: 0 });
    expect(evidence.checks[0]).toMatchObject({ check: 'error_rate', status: 'failed', value: 1 });
    expect(evidence.checks[0]!.details).toMatchObject({ model_error: 60 });
    expect((await s.keel.deployments.get('errors')).spec.canary).toBeNull();
  });

  it('rolls back a candidate that performs worse on the labels that arrived, waiting for them when required', async () => {
    await s.deploy('labels', v.baseline!);
    const r = await s.rollouts.start('labels', {
      model: v.opposite!,
      policy: {
        steps: [50],
        hold: '100p',
        min_predictions: 50,
        checks: {
          drift: false,
          latency: false,
          performance: { min_labels: 50, require: true, max_regression: 0.05 },
        },
      },
    });
    const sent = await traffic('labels', 50, 10, T0);
    expect((await s.tick()).get(r.id)).toBe('waiting');
    expect((await s.rollouts.get('labels', r.id)).progress!.waitingFor).toMatch(/labels/);
    const feedback = sent.flatMap((x) =>
      x.inputs.map((row, i) => ({ request_id: x.requestId, row: i, label: truth(row) > 0.5 ? 1 : 0 })),
    );
    const fb = await s.call('POST', '/api/v1/deployments/labels/feedback', { feedback });
    expect(fb.body).toMatchObject({ accepted: 200, matched: 200 });
    expect((await s.tick()).get(r.id)).toBe('rolled_back');
    const perf = checkOf((await s.rollouts.get('labels', r.id)).decisions.at(-1), 'performance');
    expect(perf).toMatchObject({
      status: 'failed',
      details: { metric: 'rmse', canaryLabelled: 100, primaryLabelled: 100 },
    });
    expect(perf.value!).toBeGreaterThan(perf.baseline! + 0.05);
  });

  it('holds a step for event time, and fails a step still short of its hold after max_step_duration', async () => {
    await s.deploy('timed', v.baseline!);
    const r = await s.rollouts.start('timed', {
      model: v.equal!,
      policy: {
        steps: [
          { weight: 50, hold: '10m' },
          { weight: 100, hold: '5000p' },
        ],
        min_predictions: 10,
        max_step_duration: '20m',
        checks: { latency: { slack_ms: 1000 }, drift: { max: 5 } },
      },
    });
    // 19 × 30 s = 9.5 minutes of event time: short of the 10-minute hold.
    for (let i = 0; i < 20; i++)
      await s.send('timed', {
        route: i % 2 ? 'primary' : 'canary',
        weight: 50,
        at: T0 + i * 30 * SECOND,
        rows: 5,
      });
    expect((await s.tick()).get(r.id)).toBe('waiting');
    const waiting = await s.rollouts.get('timed', r.id);
    expect(waiting.progress!.eventTime).toEqual({ from: T0, to: T0 + 570 * SECOND });
    expect(waiting.progress!.waitingFor).toMatch(/30s more event time/);
    await s.send('timed', { route: 'canary', weight: 50, at: T0 + 600 * SECOND, rows: 5 });
    expect((await s.tick()).get(r.id)).toBe('advanced');

    // Step 2 wants 5000 canary predictions; 21 minutes of event time pass with a handful.
    for (const m of [0, 10, 21])
      await s.send('timed', { route: 'canary', weight: 100, at: T0 + 11 * MINUTE + m * MINUTE, rows: 5 });
    expect((await s.tick()).get(r.id)).toBe('rolled_back');
    const done = await s.rollouts.get('timed', r.id);
    expect(done.reason).toMatch(
      /^inconclusive: after 21m of event time step 2 still needed 4985 more canary predictions/,
    );
    expect(evidenceOf(done.decisions.at(-1)).inconclusive).toBe(done.reason);
    expect((await s.keel.deployments.get('timed')).spec).toMatchObject({ primary: v.baseline, canary: null });
    const alerts = await s.call('GET', '/api/v1/alerts?deployment=timed');
    expect(alerts.body.alerts).toHaveLength(1);
  });

  it('refuses bad requests with a clear error and writes nothing; one running rollout per deployment; abort', async () => {
    await s.deploy('strict', v.baseline!);
    const before = await s.keel.deployments.get('strict');
    const auditBefore = (await auditOf('rollout')).length;
    const bad = async (body: unknown, status: number, code: string, field?: string) => {
      const res = await s.call('POST', '/api/v1/deployments/strict/rollouts', body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error).toMatchObject({ code, ...(field ? { field } : {}) });
      return res.body.error.message as string;
    };
    expect(
      await bad(
        { model: v.equal, policy: { steps: [50, 10] } },
        400,
        'INVALID_PARAMETER_VALUE',
        'policy.steps[1]',
      ),
    ).toMatch(/weights must increase/);
    await bad(
      { model: v.equal, policy: { checks: { drift: { max: -1 } } } },
      400,
      'INVALID_PARAMETER_VALUE',
      'policy.checks.drift.max',
    );
    await bad(
      { model: v.equal, policy: { alert: { channels: ['nope'] } } },
      400,
      'INVALID_PARAMETER_VALUE',
      'policy.alert.channels',
    );
    expect(await bad({ model: v.baseline }, 400, 'INVALID_PARAMETER_VALUE', 'model')).toMatch(
      /already the primary/,
    );
    await bad({ model: 99 }, 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(await bad({ model: v.equal, polcy: {} }, 400, 'INVALID_PARAMETER_VALUE')).toMatch(/polcy/);
    expect((await s.call('POST', '/api/v1/deployments/nowhere/rollouts', { model: 1 })).status).toBe(404);
    expect((await s.call('GET', '/api/v1/deployments/nowhere/rollouts')).status).toBe(404);
    const after = await s.keel.deployments.get('strict');
    expect(after.revision).toBe(before.revision);
    expect(after.spec.canary).toBeNull();
    expect(await s.rollouts.list('strict')).toEqual([]);
    expect((await auditOf('rollout')).length).toBe(auditBefore);

    // A candidate that cannot load and warm up is refused before it takes any traffic.
    expect((await s.send('strict', { route: 'primary', weight: 0, at: T0 })).status).toBe(200);
    expect(await bad({ model: v.unwarmable }, 400, 'INVALID_PARAMETER_VALUE', 'model')).toMatch(
      /cannot load or warm up/,
    );
    expect(await s.rollouts.list('strict')).toEqual([]);
    expect((await s.keel.deployments.get('strict')).spec.canary).toBeNull();
    expect((await auditOf('rollout')).length).toBe(auditBefore);

    const r = await s.rollouts.start('strict', { model: v.equal!, policy: { steps: [10, 100] } });
    await bad({ model: v.shifted }, 400, 'INVALID_STATE', 'canary');
    expect((await s.rollouts.list('strict', { status: 'running' })).map((x) => x.id)).toEqual([r.id]);

    const aborted = await s.rollouts.abort('strict', r.id, 'wrong candidate');
    expect(aborted).toMatchObject({ status: 'aborted', reason: 'aborted by local: wrong candidate' });
    expect(aborted.decisions.at(-1)).toMatchObject({ kind: 'aborted', actor: 'local' });
    expect((await s.keel.deployments.get('strict')).spec.canary).toBeNull();
    const again = await s.call('POST', `/api/v1/deployments/strict/rollouts/${r.id}/abort`, {});
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/already aborted/);
    expect((await s.call('GET', `/api/v1/deployments/other/rollouts/${r.id}`)).status).toBe(404);
  });

  it('starts once per key, and gives up a rollout whose deployment someone else changed', async () => {
    await s.deploy('keyed', v.baseline!);
    const a = await s.rollouts.start('keyed', { model: v.equal!, key: 'pipeline:p/run:1/step:deploy' });
    const b = await s.rollouts.start('keyed', { model: v.equal!, key: 'pipeline:p/run:1/step:deploy' });
    expect(b.id).toBe(a.id);
    expect(b.key).toBe('pipeline:p/run:1/step:deploy');
    await s.keel.deployments.setTraffic('keyed', { canary: { weight: 30 } });
    expect((await s.tick()).get(a.id)).toBe('aborted');
    const done = await s.rollouts.get('keyed', a.id);
    expect(done.reason).toMatch(/changed outside the rollout: the canary's weight is now 30%, not 10%/);
    // A takeover is left as the person set it.
    expect((await s.keel.deployments.get('keyed')).spec.canary).toEqual({ version: v.equal, weight: 30 });
  });

  it('lets one controller act on a rollout at a time (lease)', async () => {
    await s.deploy('leased', v.baseline!);
    const r = await s.rollouts.start('leased', {
      model: v.equal!,
      policy: {
        steps: [50, 100],
        hold: '50p',
        min_predictions: 50,
        checks: { latency: { slack_ms: 1000 }, drift: { max: 5 } },
      },
    });
    await traffic('leased', 50, 5, T0);
    await s.app.serving.log?.flush();
    const other = new RolloutController(s.env.ctx, s.app.serving);
    const [x, y] = await Promise.all([s.controller.tick(), other.tick()]);
    expect([x.get(r.id), y.get(r.id)].sort()).toEqual(['advanced', 'busy']);
    const done = await s.rollouts.get('leased', r.id);
    expect(done.decisions.map((d) => d.kind)).toEqual(['started', 'step_passed']);
  });
});
