import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPipelineFile } from '../../src/cli/pipeline-file.js';
import { ManualClock } from '../../src/core/clock.js';
import { TriggerScheduler } from '../../src/pipelines/triggers/scheduler.js';
import { inProcessKeel } from '../../src/server/inject.js';
import { DIALECTS, testApp } from '../helpers/context.js';
import { addDataset, loansCsv } from './gate/fixture.js';

type Env = Awaited<ReturnType<typeof testApp>>;

const at = (iso: string) => Date.parse(iso);

async function applyYaml(env: Env, yaml: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-ws-'));
  fs.writeFileSync(path.join(dir, 'keel.yaml'), yaml);
  await applyPipelineFile(inProcessKeel(env.app), path.join(dir, 'keel.yaml'));
  fs.rmSync(dir, { recursive: true, force: true });
}

const runsOf = (env: Env, pipeline: string) =>
  env.ctx.store.db
    .selectFrom('pipeline_runs')
    .select(['id', 'trigger', 'trigger_key', 'params'])
    .where('pipeline', '=', pipeline)
    .orderBy('id')
    .execute();

describe.each(DIALECTS)('pipeline triggers (%s)', (dialect) => {
  let env: Env;
  afterEach(async () => env?.cleanup());

  it('a cron schedule in its timezone starts one run per tick, however many schedulers look', async () => {
    // 02:30 UTC on 5 Jan 2026 is 03:30 in Paris (CET, UTC+1).
    const clock = new ManualClock(at('2026-01-05T01:30:00Z'));
    env = await testApp(dialect, { clock });
    await applyYaml(
      env,
      'pipelines:\n  nightly:\n    triggers:\n      - schedule: "0 3 * * *"\n        timezone: Europe/Paris\n    steps:\n      hello:\n        cmd: echo hello\n',
    );
    const a = new TriggerScheduler(env.ctx);
    const b = new TriggerScheduler(env.ctx);
    // The first look only records where the trigger starts: nothing before it fires.
    expect(await a.tick()).toEqual([]);
    clock.advance(30 * 60_000); // 02:00 UTC = 03:00 Paris: the tick.
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect([...ra, ...rb]).toHaveLength(1);
    expect(await a.tick()).toEqual([]);
    clock.advance(24 * 3600_000);
    const [sa, sb] = await Promise.all([b.tick(), a.tick()]);
    expect([...sa, ...sb]).toHaveLength(1);
    const runs = await runsOf(env, 'nightly');
    expect(runs.map((r) => [r.trigger, r.trigger_key])).toEqual([
      ['schedule', 'schedule:0:2026-01-05T02:00:00.000Z'],
      ['schedule', 'schedule:0:2026-01-06T02:00:00.000Z'],
    ]);
    expect(JSON.parse(runs[0]!.params)).toMatchObject({
      trigger_kind: 'schedule',
      trigger_tick: '2026-01-05T02:00:00.000Z',
      trigger_timezone: 'Europe/Paris',
    });
  });

  it('an alert event starts one run with its context as params; other alerts do not', async () => {
    env = await testApp(dialect);
    await applyYaml(
      env,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline reference, not a JS template
      'pipelines:\n  retrain:\n    params:\n      trigger_deployment: none\n    triggers:\n      - alert: { monitor: loans }\n    steps:\n      hello:\n        cmd: echo ${params.trigger_deployment}\n',
    );
    const s = new TriggerScheduler(env.ctx);
    await s.tick();
    const event = (monitor: string, kind: string, rule = 'drift_share > 0.5') =>
      env.ctx.store.db
        .insertInto('alert_events')
        .values({
          alert_id: 1,
          monitor,
          deployment: 'loans-api',
          rule,
          route: 'primary',
          kind,
          window_start: at('2026-05-01T00:00:00Z'),
          at: Date.now(),
          payload: JSON.stringify({
            window: { start: at('2026-05-01T00:00:00Z'), end: at('2026-05-02T00:00:00Z') },
            alert: { value: 0.7 },
          }),
        })
        .execute();
    await event('loans', 'opened');
    await event('other', 'opened');
    await event('loans', 'updated');
    const started = await s.tick();
    expect(started).toHaveLength(1);
    expect(await s.tick()).toEqual([]);
    const [run] = await runsOf(env, 'retrain');
    expect(run!.trigger).toBe('alert');
    expect(JSON.parse(run!.params)).toMatchObject({
      trigger_kind: 'alert',
      trigger_monitor: 'loans',
      trigger_deployment: 'loans-api',
      trigger_rule: 'drift_share > 0.5',
      trigger_window_start: at('2026-05-01T00:00:00Z'),
      trigger_value: 0.7,
    });
  });

  it('a new version of the dataset starts one run naming it', async () => {
    env = await testApp(dialect);
    await applyYaml(
      env,
      'pipelines:\n  refresh:\n    triggers:\n      - dataset: loans\n    steps:\n      hello:\n        cmd: echo new data\n',
    );
    const s = new TriggerScheduler(env.ctx);
    await s.tick();
    await new Promise((r) => setTimeout(r, 5));
    await addDataset(env.ctx, 'loans', loansCsv(1, 50));
    await addDataset(env.ctx, 'other', loansCsv(2, 50));
    expect(await s.tick()).toHaveLength(1);
    expect(await s.tick()).toEqual([]);
    const [run] = await runsOf(env, 'refresh');
    expect(run!.trigger_key).toBe('dataset:loans@1');
    expect(JSON.parse(run!.params)).toMatchObject({ trigger_dataset: 'loans', trigger_ref: 'loans@1' });
  });
});
