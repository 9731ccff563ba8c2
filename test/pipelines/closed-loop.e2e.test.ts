import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// The demo's own scenario (npm run demo), on less traffic: one path.
import { closedLoop } from '../../scripts/closed-loop.mjs';
import { serverConfigFrom } from '../../src/core/config.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { DIALECTS } from '../helpers/context.js';

const PG_URL = process.env.KEEL_TEST_POSTGRES_URL;

describe.each(DIALECTS)('the closed loop, end to end on a real server (%s)', (dialect) => {
  let server: RunningServer | undefined;
  let dir: string;
  afterEach(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drift and late labels → alert → retraining pipeline → gate → canary → promotion → accuracy recovers', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-loop-'));
    const schema = `keel_t_${process.pid}_loop`;
    server = await startServer(
      serverConfigFrom(
        { dataDir: dir, port: '0', logLevel: 'silent', scheduleInterval: '200', logInterval: '200' },
        dialect === 'postgres' ? { KEEL_DATABASE_URL: `${PG_URL}?schema=${schema}` } : {},
      ),
    );
    const lines: string[] = [];
    const summary = await closedLoop({
      url: server.url,
      dir: path.join(dir, 'workspace'),
      perWeek: 1500,
      trainRows: 3000,
      weeks: 18,
      tick: 200,
      out: (s: string) => lines.push(s),
    });
    const text = lines.join('\n');
    if (process.env.KEEL_LOOP_DEBUG) console.log(text);
    // v1 was good, the shift broke it, the retrained version promoted by the rollout fixed it.
    expect(summary.before).toBeGreaterThan(0.9);
    expect(summary.drifted).toBeLessThan(0.75);
    expect(summary.promotedAt).not.toBeNull();
    expect(summary.after).toBeGreaterThan(0.85);
    expect(text).toMatch(/alert opened: accuracy drop on primary/);
    expect(text).toMatch(/pipeline retrain run \d+ succeeded: snapshot succeeded/);
    expect(text).toMatch(/gate succeeded: approved/);

    const db = server.ctx.store.db;
    // The run was started by the alert, with its context as params.
    const runs = await db.selectFrom('pipeline_runs').selectAll().orderBy('id').execute();
    expect(runs[0]!.trigger).toBe('alert');
    expect(JSON.parse(runs[0]!.params)).toMatchObject({ trigger_monitor: 'loans', trigger_route: 'primary' });
    // The champion moved to the retrained version, which the gate approved and the rollout promoted.
    const champion = await db
      .selectFrom('model_aliases')
      .selectAll()
      .where('name', '=', 'credit')
      .where('alias', '=', 'champion')
      .executeTakeFirstOrThrow();
    expect(champion.version).toBeGreaterThan(1);
    const version = await db
      .selectFrom('model_versions')
      .select(['approval_status', 'approval_actor'])
      .where('name', '=', 'credit')
      .where('version', '=', champion.version)
      .executeTakeFirstOrThrow();
    expect(version).toEqual({ approval_status: 'approved', approval_actor: 'pipeline:retrain' });
    // The train step's tracked run holds its figures once each (the runner adds only what the step did not log).
    const trainStep = await db
      .selectFrom('pipeline_steps')
      .select('tracked_run_id')
      .where('run_id', '=', runs[0]!.id)
      .where('step', '=', 'train')
      .executeTakeFirstOrThrow();
    const finals = await db
      .selectFrom('metrics')
      .select('key')
      .where('run_id', '=', trainStep.tracked_run_id!)
      .where('key', '=', 'train_accuracy')
      .execute();
    expect(finals).toHaveLength(1);
    const rollout = await db.selectFrom('rollouts').selectAll().executeTakeFirstOrThrow();
    expect(rollout.status).toBe('succeeded');
    // Every step of the loop is in the audit log, under the actor that took it.
    const audit = await db.selectFrom('audit_log').select(['action', 'actor']).execute();
    const did = (actor: string, action: string) =>
      audit.some((a) => a.actor === actor && a.action === action);
    expect(did('trigger:alert', 'pipeline.run')).toBe(true);
    expect(did('pipeline:retrain', 'pipeline.run.finish')).toBe(true);
    expect(audit.some((a) => a.actor.startsWith('rollout:') && a.action.startsWith('rollout.'))).toBe(true);
  }, 240_000);
});
