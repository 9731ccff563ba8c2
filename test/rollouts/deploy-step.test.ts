/**
 * The `deploy` built-in step against a real server, acting as `pipeline:nightly` through the
 * in-process API: creates a missing deployment, starts a rollout of a new version (once per run
 * and step), switches the primary with `rollout: false`, and with `wait: true` lasts until the
 * rollout ends — here moved along by the RolloutScheduler — failing when it was rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError } from '../../src/core/errors.js';
import { type DeployWith, deployStep } from '../../src/pipelines/steps/builtins/deploy.js';
import type { BuiltinContext } from '../../src/pipelines/steps/types.js';
import { RolloutScheduler } from '../../src/rollouts/index.js';
import { Keel } from '../../src/sdk/index.js';
import { rolloutsOf } from '../../src/sdk/rollouts.js';
import { InjectTransport } from '../../src/server/inject.js';
import { DIALECTS, type Dialect } from '../helpers/context.js';
import { baselineOnnx, equalOnnx, failingOnnx, type RolloutServer, rolloutServer, T0 } from './fixture.js';

function fieldOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    return (e as KeelError).details?.field;
  }
  throw new Error('expected an error');
}

/** A pipeline reference as written in `with:` (built so no template literal is implied). */
const ref = (path: string): string => `$${'{'}${path}}`;

describe.each(DIALECTS)('deploy step (%s)', (dialect: Dialect) => {
  let s: RolloutServer;
  let keel: Keel;
  const v: Record<string, number> = {};

  beforeAll(async () => {
    s = await rolloutServer(dialect);
    v.baseline = await s.register(baselineOnnx());
    v.equal = await s.register(equalOnnx());
    v.failing = await s.register(failingOnnx());
    // The step's API: rollout routes on their own app until the server registers them (see fixture).
    const main = new InjectTransport(s.app, 'pipeline:nightly');
    const rollouts = new InjectTransport(s.api, 'pipeline:nightly');
    keel = new Keel({
      transport: { request: (r) => (r.path.includes('/rollouts') ? rollouts : main).request(r) },
    });
  }, 120_000);

  afterAll(async () => s?.close());

  const step = (runId: number, args: Record<string, unknown>) => {
    const lines: string[] = [];
    const b: BuiltinContext & { with: DeployWith } = {
      ctx: s.env.ctx,
      keel,
      pipeline: 'nightly',
      runId,
      step: 'deploy',
      with: deployStep.parse(args, { resolved: true }),
      params: {},
      workDir: s.env.dir,
      trackedRunId: 'none',
      log: (l) => lines.push(l),
      signal: new AbortController().signal,
    };
    return { run: () => deployStep.run(b), lines };
  };

  it('validates with: naming the field; unresolved references wait for run time', () => {
    expect(
      fieldOf(() =>
        deployStep.parse(
          { deployment: 'x', model: 'credit@2', rollout: { steps: [50, 10] } },
          { resolved: true },
        ),
      ),
    ).toBe('with.rollout.steps[1]');
    expect(
      fieldOf(() =>
        deployStep.parse({ deployment: 'x', model: 'credit@2', rolout: false }, { resolved: true }),
      ),
    ).toBe('with.rolout');
    expect(
      fieldOf(() => deployStep.parse({ deployment: 'bad name!', model: 'credit@2' }, { resolved: true })),
    ).toBe('with.deployment');
    expect(fieldOf(() => deployStep.parse({ deployment: 'x' }, { resolved: true }))).toBe('with.model');
    const pending = deployStep.parse(
      { deployment: 'x', model: ref('steps.register.outputs.ref'), rollout: { hold: ref('params.hold') } },
      { resolved: false },
    );
    expect(pending).toEqual({
      deployment: 'x',
      model: ref('steps.register.outputs.ref'),
      rollout: null,
      wait: false,
    });
    expect(
      deployStep.parse({ deployment: 'x', model: 'credit@2' }, { resolved: true }).rollout,
    ).toMatchObject({
      steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }],
    });
  });

  it('creates a missing deployment, then rolls a new version out once per run and step, or switches it directly', async () => {
    const first = await step(1, { deployment: 'pipe', model: `credit@${v.baseline}` }).run();
    expect(first.outputs).toEqual({
      deployment: 'pipe',
      model: `credit@${v.baseline}`,
      status: 'created',
      rollout_id: null,
    });
    const d = await s.keel.deployments.get('pipe');
    expect(d).toMatchObject({ createdBy: 'pipeline:nightly', spec: { primary: v.baseline, canary: null } });
    // A retried attempt of the same step finds what the first one made.
    expect((await step(1, { deployment: 'pipe', model: `credit@${v.baseline}` }).run()).outputs.status).toBe(
      'created',
    );

    const policy = { steps: [50], hold: '1000p' };
    const run2 = await step(2, { deployment: 'pipe', model: `credit@${v.equal}`, rollout: policy }).run();
    expect(run2.outputs).toMatchObject({ deployment: 'pipe', status: 'running' });
    const id = run2.outputs.rollout_id as number;
    expect((await s.keel.deployments.get('pipe')).spec.canary).toEqual({ version: v.equal, weight: 50 });
    const again = await step(2, { deployment: 'pipe', model: `credit@${v.equal}`, rollout: policy }).run();
    expect(again.outputs.rollout_id).toBe(id);
    const all = await s.rollouts.list('pipe');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      key: 'pipeline:nightly/run:2/step:deploy',
      createdBy: 'pipeline:nightly',
    });
    await s.rollouts.abort('pipe', id);

    const run3 = await step(3, { deployment: 'pipe', model: `credit@${v.equal}`, rollout: false }).run();
    expect(run3.outputs.status).toBe('switched');
    expect((await s.keel.deployments.get('pipe')).spec).toMatchObject({
      primary: v.equal,
      previous: v.baseline,
    });
    expect((await step(4, { deployment: 'pipe', model: `credit@${v.equal}` }).run()).outputs.status).toBe(
      'unchanged',
    );
  });

  it('with wait: true lasts until the scheduled controller ends the rollout, and fails when it was rolled back', async () => {
    const scheduler = new RolloutScheduler(s.env.ctx, s.app.serving, { intervalMs: 200 });
    scheduler.start();
    try {
      await s.deploy('waited', v.baseline!);
      const { run, lines } = step(5, {
        deployment: 'waited',
        model: `credit@${v.failing}`,
        rollout: { steps: [100], hold: '30p', min_predictions: 30, checks: { drift: false, latency: false } },
        wait: true,
      });
      const outcome = run().then(
        () => null,
        (e: unknown) => e,
      );
      // The canary serves once the start returned; the step is then waiting on the rollout.
      while ((await s.keel.deployments.get('waited')).spec.canary === null)
        await new Promise((r) => setTimeout(r, 50));
      expect(await rolloutsOf(keel).list('waited', { status: 'running' })).toHaveLength(1);
      for (let i = 0; i < 3; i++) {
        const r = await s.send('waited', { route: 'canary', weight: 100, at: T0 + i * 1000, x1: 3.5 });
        expect(r.status).toBe(500);
      }
      const err = await outcome;
      expect(err).toBeInstanceOf(KeelError);
      expect((err as KeelError).message).toMatch(
        /rolled back: canary error rate 100.00% is above the maximum/,
      );
      expect(lines.some((l) => l.startsWith('rolled_back: '))).toBe(true);
      expect((await s.keel.deployments.get('waited')).spec).toMatchObject({
        primary: v.baseline,
        canary: null,
      });
    } finally {
      await scheduler.stop();
    }
  }, 30_000);
});
