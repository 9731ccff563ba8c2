/**
 * Conformance of the MLflow run RPCs: lifecycle, logging (log-metric, log-parameter, set-tag,
 * delete-tag, log-batch, log-inputs, log-model) and metric history, against MLflow's documented
 * write semantics and limits (/work/shared/reference/mlflow.md §1.2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { DIALECTS, testApp } from '../helpers/context.js';
import {
  AJAX,
  type Client,
  client,
  createExperiment,
  createRun,
  expectError,
  type Json,
  rowCount,
  snapshot,
} from './client.js';

const T0 = 1_700_000_000_000;

/** An MLmodel as JSON with the fields MLflow's log-model handler requires. */
const mlmodel = (runId: string, artifactPath: string) => ({
  artifact_path: artifactPath,
  flavors: { python_function: { loader_module: 'mlflow.sklearn', python_version: '3.11.0' } },
  run_id: runId,
  utc_time_created: '2024-01-01 00:00:00.000000',
});

const metricsOf = (run: Json): Record<string, Json> =>
  Object.fromEntries((run.data.metrics ?? []).map((m: Json) => [m.key, m]));
const paramsOf = (run: Json): Record<string, string> =>
  Object.fromEntries((run.data.params ?? []).map((p: Json) => [p.key, p.value]));
const tagsOf = (run: Json): Record<string, string> =>
  Object.fromEntries((run.data.tags ?? []).map((t: Json) => [t.key, t.value]));

describe.each(DIALECTS)('MLflow runs API (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let c: Client;
  let exp: string;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    env = await testApp(dialect, { clock });
    c = client(env.app);
    exp = await createExperiment(c, 'runs-suite');
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const newRun = async (extra: Record<string, unknown> = {}): Promise<string> =>
    (await createRun(c, exp, extra)).info.run_id as string;
  const getRun = async (runId: string): Promise<Json> => (await c.okGet('/runs/get', { run_id: runId })).run;
  const history = async (runId: string, key: string, extra: Record<string, string | number> = {}) =>
    c.okGet('/metrics/get-history', { run_id: runId, metric_key: key, ...extra });

  describe('create / get', () => {
    it('create with run_name, start_time and tags; run_name is mirrored in the mlflow.runName tag', async () => {
      const b = await c.ok('/runs/create', {
        experiment_id: exp,
        run_name: 'my-run',
        start_time: 1234567890123,
        tags: [
          { key: 'mlflow.user', value: 'alice' },
          { key: 'mlflow.source.name', value: 'train.py' },
        ],
      });
      const info = b.run.info;
      expect(info).toEqual({
        run_id: expect.stringMatching(/^[a-zA-Z0-9][\w-]{0,255}$/),
        run_uuid: info.run_id,
        run_name: 'my-run',
        experiment_id: exp,
        user_id: 'alice',
        status: 'RUNNING',
        start_time: 1234567890123,
        artifact_uri: expect.stringContaining(info.run_id),
        lifecycle_stage: 'active',
      });
      // A running run has no end_time at all (unset fields are omitted).
      expect(info).not.toHaveProperty('end_time');
      expect(tagsOf(b.run)).toEqual({
        'mlflow.runName': 'my-run',
        'mlflow.user': 'alice',
        'mlflow.source.name': 'train.py',
      });
      expect(b.run.data).not.toHaveProperty('metrics');
      expect(b.run.data).not.toHaveProperty('params');
      // runs/get returns the same run.
      expect(await getRun(info.run_id)).toEqual(b.run);
    });

    it('the mlflow.runName tag alone names the run', async () => {
      const b = await c.ok('/runs/create', {
        experiment_id: exp,
        tags: [{ key: 'mlflow.runName', value: 'tag-named' }],
      });
      expect(b.run.info.run_name).toBe('tag-named');
      expect(tagsOf(b.run)['mlflow.runName']).toBe('tag-named');
    });

    it('without start_time the server time is used; an unnamed run gets a generated name', async () => {
      clock.advance(1000);
      const b = await c.ok('/runs/create', { experiment_id: exp });
      expect(b.run.info.start_time).toBe(clock.now());
      expect(b.run.info.run_name).toEqual(expect.any(String));
      expect(b.run.info.run_name).not.toBe('');
      expect(tagsOf(b.run)['mlflow.runName']).toBe(b.run.info.run_name);
    });

    it('int64 fields are JSON numbers and the status enum is a name', async () => {
      const id = await newRun({ start_time: 42 });
      const r = await c.get('/runs/get', { run_id: id });
      expect(r.raw).toContain('"start_time":42');
      expect(r.raw).toContain('"status":"RUNNING"');
    });

    it('runs/get of an unknown run → 404 RESOURCE_DOES_NOT_EXIST; run_uuid is accepted as the id', async () => {
      expectError(await c.get('/runs/get', { run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
      const id = await newRun();
      const b = await c.okGet('/runs/get', { run_uuid: id });
      expect(b.run.info.run_id).toBe(id);
    });

    it('works under /ajax-api/2.0/mlflow too', async () => {
      const ajax = client(env.app, AJAX);
      const run = await createRun(ajax, exp, { run_name: 'ajax-run' });
      await ajax.ok('/runs/log-metric', {
        run_id: run.info.run_id,
        key: 'm',
        value: 1.5,
        timestamp: 10,
        step: 2,
      });
      const viaAjax = await ajax.okGet('/runs/get', { run_id: run.info.run_id });
      expect(viaAjax.run.data.metrics).toEqual([{ key: 'm', value: 1.5, timestamp: 10, step: 2 }]);
      expect(await c.okGet('/runs/get', { run_id: run.info.run_id })).toEqual(viaAjax);
    });
  });

  describe('latest metric per key', () => {
    it('is the highest step, then the highest timestamp, then the highest value (separate requests)', async () => {
      const id = await newRun();
      const log = (value: number, timestamp: number, step: number) =>
        c.ok('/runs/log-metric', { run_id: id, key: 'm', value, timestamp, step });
      await log(1, 100, 5);
      await log(2, 999, 3); // lower step, later timestamp: not the latest
      expect(metricsOf(await getRun(id)).m).toEqual({ key: 'm', value: 1, timestamp: 100, step: 5 });
      await log(0.5, 50, 5); // same step, earlier timestamp: not the latest
      expect(metricsOf(await getRun(id)).m).toEqual({ key: 'm', value: 1, timestamp: 100, step: 5 });
      await log(3, 100, 5); // same step and timestamp, higher value: the latest
      expect(metricsOf(await getRun(id)).m).toEqual({ key: 'm', value: 3, timestamp: 100, step: 5 });
      await log(-1, 101, 5); // same step, later timestamp: the latest
      expect(metricsOf(await getRun(id)).m).toEqual({ key: 'm', value: -1, timestamp: 101, step: 5 });
      await log(-7, 1, 6); // higher step wins even with an earlier timestamp
      expect(metricsOf(await getRun(id)).m).toEqual({ key: 'm', value: -7, timestamp: 1, step: 6 });
    });

    it('same rule within one log-batch', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', {
        run_id: id,
        metrics: [
          { key: 'a', value: 1, timestamp: 100, step: 5 },
          { key: 'a', value: 9, timestamp: 999, step: 4 },
          { key: 'a', value: 2, timestamp: 100, step: 5 },
          { key: 'a', value: 0, timestamp: 99, step: 5 },
          { key: 'b', value: 5, timestamp: 1, step: 0 },
          { key: 'b', value: 4, timestamp: 2, step: 0 },
        ],
      });
      const m = metricsOf(await getRun(id));
      expect(m.a).toEqual({ key: 'a', value: 2, timestamp: 100, step: 5 });
      expect(m.b).toEqual({ key: 'b', value: 4, timestamp: 2, step: 0 });
    });
  });

  describe('update / delete / restore', () => {
    it('update to FINISHED with end_time returns run_info; run_uuid works as the id', async () => {
      const id = await newRun({ start_time: 1000 });
      const b = await c.ok('/runs/update', { run_id: id, status: 'FINISHED', end_time: 5000 });
      expect(b).toEqual({
        run_info: expect.objectContaining({
          run_id: id,
          run_uuid: id,
          status: 'FINISHED',
          end_time: 5000,
          start_time: 1000,
        }),
      });
      const info = (await getRun(id)).info;
      expect(info.status).toBe('FINISHED');
      expect(info.end_time).toBe(5000);
      const b2 = await c.ok('/runs/update', { run_uuid: id, status: 'FAILED', end_time: 6000 });
      expect(b2.run_info).toMatchObject({ status: 'FAILED', end_time: 6000 });
    });

    it('update of run_name only keeps the status and updates the mlflow.runName tag', async () => {
      const id = await newRun({ run_name: 'before' });
      await c.ok('/runs/update', { run_id: id, status: 'KILLED' });
      const b = await c.ok('/runs/update', { run_id: id, run_name: 'after' });
      expect(b.run_info).toMatchObject({ run_name: 'after', status: 'KILLED' });
      const run = await getRun(id);
      expect(run.info.run_name).toBe('after');
      expect(tagsOf(run)['mlflow.runName']).toBe('after');
    });

    it('setting the mlflow.runName tag renames the run', async () => {
      const id = await newRun({ run_name: 'x1' });
      await c.ok('/runs/set-tag', { run_id: id, key: 'mlflow.runName', value: 'x2' });
      expect((await getRun(id)).info.run_name).toBe('x2');
    });

    it('an invalid status → 400; an unknown run → 404', async () => {
      const id = await newRun();
      expectError(
        await c.post('/runs/update', { run_id: id, status: 'DONE' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'status',
      );
      expectError(
        await c.post('/runs/update', { run_id: 'f'.repeat(32), status: 'FINISHED' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('delete / restore flip lifecycle_stage and return {}', async () => {
      const id = await newRun();
      expect((await c.post('/runs/delete', { run_id: id })).raw).toBe('{}');
      expect((await getRun(id)).info.lifecycle_stage).toBe('deleted');
      expect((await c.post('/runs/restore', { run_id: id })).raw).toBe('{}');
      expect((await getRun(id)).info.lifecycle_stage).toBe('active');
      expectError(await c.post('/runs/delete', { run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('logging to a deleted run → 400 INVALID_PARAMETER_VALUE and nothing is written', async () => {
      const id = await newRun();
      await c.ok('/runs/set-tag', { run_id: id, key: 'keep', value: '1' });
      await c.ok('/runs/delete', { run_id: id });
      const before = await snapshot(env.ctx);
      const attempts: [string, unknown][] = [
        ['/runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1 }],
        ['/runs/log-parameter', { run_id: id, key: 'p', value: 'v' }],
        ['/runs/set-tag', { run_id: id, key: 't', value: 'v' }],
        ['/runs/delete-tag', { run_id: id, key: 'keep' }],
        ['/runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: 1 }] }],
        ['/runs/update', { run_id: id, status: 'FINISHED' }],
        [
          '/runs/log-inputs',
          {
            run_id: id,
            datasets: [{ dataset: { name: 'd', digest: 'x', source_type: 'local', source: '{}' } }],
          },
        ],
        ['/runs/log-model', { run_id: id, model_json: JSON.stringify(mlmodel(id, 'model')) }],
      ];
      for (const [path, body] of attempts) {
        expectError(await c.post(path, body), 400, 'INVALID_PARAMETER_VALUE', id);
      }
      expect(await snapshot(env.ctx)).toEqual(before);
    });
  });

  describe('log-metric / log-parameter / set-tag / delete-tag', () => {
    it('round-trips each kind; empty-string param and tag values are allowed', async () => {
      const id = await newRun();
      expect(
        (await c.post('/runs/log-metric', { run_id: id, key: 'acc', value: 0.75, timestamp: 123, step: 4 }))
          .raw,
      ).toBe('{}');
      expect((await c.post('/runs/log-parameter', { run_id: id, key: 'lr', value: '0.01' })).raw).toBe('{}');
      await c.ok('/runs/log-parameter', { run_id: id, key: 'empty', value: '' });
      expect((await c.post('/runs/set-tag', { run_id: id, key: 'team', value: 'a' })).raw).toBe('{}');
      await c.ok('/runs/set-tag', { run_id: id, key: 'blank', value: '' });
      const run = await getRun(id);
      expect(run.data.metrics).toEqual([{ key: 'acc', value: 0.75, timestamp: 123, step: 4 }]);
      expect(paramsOf(run)).toEqual({ lr: '0.01', empty: '' });
      expect(tagsOf(run)).toMatchObject({ team: 'a', blank: '' });
      expect((await c.post('/runs/delete-tag', { run_id: id, key: 'team' })).raw).toBe('{}');
      expect(tagsOf(await getRun(id))).not.toHaveProperty('team');
    });

    it('a metric without step gets step 0; numeric strings are accepted for int64 and double fields', async () => {
      const id = await newRun();
      await c.ok('/runs/log-metric', { run_id: id, key: 'nostep', value: 2, timestamp: 5 });
      await c.ok('/runs/log-metric', { run_id: id, key: 'strs', value: '2.5', timestamp: '6', step: '7' });
      const m = metricsOf(await getRun(id));
      expect(m.nostep).toEqual({ key: 'nostep', value: 2, timestamp: 5, step: 0 });
      expect(m.strs).toEqual({ key: 'strs', value: 2.5, timestamp: 6, step: 7 });
    });

    it('a param is immutable: the same value is idempotent, a different one → 400', async () => {
      const id = await newRun();
      await c.ok('/runs/log-parameter', { run_id: id, key: 'p', value: '1' });
      await c.ok('/runs/log-parameter', { run_id: id, key: 'p', value: '1' });
      expectError(
        await c.post('/runs/log-parameter', { run_id: id, key: 'p', value: '2' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'p',
      );
      expect(paramsOf(await getRun(id))).toEqual({ p: '1' });
    });

    it('a tag is overwritten by the last write', async () => {
      const id = await newRun();
      await c.ok('/runs/set-tag', { run_id: id, key: 't', value: '1' });
      await c.ok('/runs/set-tag', { run_id: id, key: 't', value: '2' });
      expect(tagsOf(await getRun(id)).t).toBe('2');
    });

    it('set-tag with a number value → 400; the legacy run_uuid field is accepted', async () => {
      const id = await newRun();
      expectError(
        await c.post('/runs/set-tag', { run_id: id, key: 't', value: 41 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "'value'",
      );
      await c.ok('/runs/set-tag', { run_uuid: id, key: 't', value: 'legacy' });
      expect(tagsOf(await getRun(id)).t).toBe('legacy');
    });

    it('delete-tag of a missing tag → 404; of an unknown run → 404', async () => {
      const id = await newRun();
      expectError(
        await c.post('/runs/delete-tag', { run_id: id, key: 'nope' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'nope',
      );
      expectError(
        await c.post('/runs/delete-tag', { run_id: 'f'.repeat(32), key: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('metrics are append-only: re-logging a key at the same step keeps both values', async () => {
      const id = await newRun();
      await c.ok('/runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 10, step: 0 });
      await c.ok('/runs/log-metric', { run_id: id, key: 'm', value: 2, timestamp: 11, step: 0 });
      const h = await history(id, 'm');
      expect(h.metrics).toEqual([
        { key: 'm', value: 1, timestamp: 10, step: 0 },
        { key: 'm', value: 2, timestamp: 11, step: 0 },
      ]);
    });
  });

  describe('NaN and ±Infinity', () => {
    it('round-trip through runs/get and metrics/get-history as "NaN", "Infinity", "-Infinity"', async () => {
      const id = await newRun();
      await c.ok('/runs/log-metric', { run_id: id, key: 'nan', value: 'NaN', timestamp: 1, step: 0 });
      await c.ok('/runs/log-metric', { run_id: id, key: 'pinf', value: 'Infinity', timestamp: 1, step: 0 });
      await c.ok('/runs/log-batch', {
        run_id: id,
        metrics: [{ key: 'ninf', value: '-Infinity', timestamp: 1, step: 0 }],
      });
      const m = metricsOf(await getRun(id));
      expect(m.nan).toEqual({ key: 'nan', value: 'NaN', timestamp: 1, step: 0 });
      expect(m.pinf).toEqual({ key: 'pinf', value: 'Infinity', timestamp: 1, step: 0 });
      expect(m.ninf).toEqual({ key: 'ninf', value: '-Infinity', timestamp: 1, step: 0 });
      expect((await history(id, 'nan')).metrics).toEqual([
        { key: 'nan', value: 'NaN', timestamp: 1, step: 0 },
      ]);
      expect((await history(id, 'pinf')).metrics).toEqual([
        { key: 'pinf', value: 'Infinity', timestamp: 1, step: 0 },
      ]);
      expect((await history(id, 'ninf')).metrics).toEqual([
        { key: 'ninf', value: '-Infinity', timestamp: 1, step: 0 },
      ]);
    });

    it('a later finite value replaces a NaN as latest, and history keeps both', async () => {
      const id = await newRun();
      await c.ok('/runs/log-metric', { run_id: id, key: 'x', value: 'NaN', timestamp: 1, step: 0 });
      await c.ok('/runs/log-metric', { run_id: id, key: 'x', value: 0.5, timestamp: 2, step: 1 });
      expect(metricsOf(await getRun(id)).x).toEqual({ key: 'x', value: 0.5, timestamp: 2, step: 1 });
      expect((await history(id, 'x')).metrics.map((m: Json) => m.value)).toEqual(['NaN', 0.5]);
    });
  });

  describe('log-batch semantics', () => {
    it('logs metrics, params and tags together and returns {}', async () => {
      const id = await newRun();
      const r = await c.post('/runs/log-batch', {
        run_id: id,
        metrics: [
          { key: 'loss', value: 0.5, timestamp: 1, step: 0 },
          { key: 'loss', value: 0.4, timestamp: 2, step: 1 },
        ],
        params: [{ key: 'lr', value: '0.1' }],
        tags: [{ key: 'phase', value: 'train' }],
      });
      expect(r.status).toBe(200);
      expect(r.raw).toBe('{}');
      const run = await getRun(id);
      expect(metricsOf(run).loss).toEqual({ key: 'loss', value: 0.4, timestamp: 2, step: 1 });
      expect(paramsOf(run)).toEqual({ lr: '0.1' });
      expect(tagsOf(run).phase).toBe('train');
    });

    it('re-logging a param with the same value is idempotent, also twice within one batch', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', { run_id: id, params: [{ key: 'p', value: 'v' }] });
      await c.ok('/runs/log-batch', {
        run_id: id,
        params: [
          { key: 'p', value: 'v' },
          { key: 'p', value: 'v' },
        ],
      });
      expect(paramsOf(await getRun(id))).toEqual({ p: 'v' });
    });

    it('changing a param → 400 and NOTHING from that batch is written (atomic)', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', { run_id: id, params: [{ key: 'p', value: 'old' }] });
      const before = await snapshot(env.ctx);
      const r = await c.post('/runs/log-batch', {
        run_id: id,
        metrics: [{ key: 'fresh_metric', value: 1, timestamp: 1, step: 0 }],
        params: [
          { key: 'fresh_param', value: 'x' },
          { key: 'p', value: 'new' },
        ],
        tags: [{ key: 'fresh_tag', value: 'y' }],
      });
      expectError(r, 400, 'INVALID_PARAMETER_VALUE', 'p');
      const run = await getRun(id);
      expect(metricsOf(run)).not.toHaveProperty('fresh_metric');
      expect(paramsOf(run)).toEqual({ p: 'old' });
      expect(tagsOf(run)).not.toHaveProperty('fresh_tag');
      expect(await history(id, 'fresh_metric')).toEqual({});
      expect(await snapshot(env.ctx)).toEqual(before);
    });

    it('two different values for one param key within a batch → 400, nothing written', async () => {
      const id = await newRun();
      const before = await snapshot(env.ctx);
      expectError(
        await c.post('/runs/log-batch', {
          run_id: id,
          metrics: [{ key: 'm', value: 1, timestamp: 1 }],
          params: [
            { key: 'dup', value: '1' },
            { key: 'dup', value: '2' },
          ],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        'dup',
      );
      expect(await snapshot(env.ctx)).toEqual(before);
    });

    it('tags: the last write wins within one request', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', {
        run_id: id,
        tags: [
          { key: 't', value: 'first' },
          { key: 'u', value: 'only' },
          { key: 't', value: 'second' },
          { key: 't', value: 'third' },
        ],
      });
      const tags = tagsOf(await getRun(id));
      expect(tags.t).toBe('third');
      expect(tags.u).toBe('only');
    });

    it('metrics are append-only: every value of a batch lands in the history, in order', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', {
        run_id: id,
        metrics: [
          { key: 'm', value: 3, timestamp: 1, step: 0 },
          { key: 'm', value: 1, timestamp: 2, step: 0 },
          { key: 'm', value: 2, timestamp: 3, step: 1 },
        ],
      });
      await c.ok('/runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 0, timestamp: 4, step: 1 }] });
      expect((await history(id, 'm')).metrics).toEqual([
        { key: 'm', value: 3, timestamp: 1, step: 0 },
        { key: 'm', value: 1, timestamp: 2, step: 0 },
        { key: 'm', value: 2, timestamp: 3, step: 1 },
        { key: 'm', value: 0, timestamp: 4, step: 1 },
      ]);
    });

    it('an empty batch on an existing run is OK', async () => {
      const id = await newRun();
      expect((await c.post('/runs/log-batch', { run_id: id })).raw).toBe('{}');
      expect((await c.post('/runs/log-batch', { run_id: id, metrics: [], params: [], tags: [] })).raw).toBe(
        '{}',
      );
    });
  });

  describe('log-batch limits', () => {
    const metrics = (n: number, key = 'm') =>
      Array.from({ length: n }, (_, i) => ({ key, value: i, timestamp: 1000 + i, step: i }));
    const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: `${i}` }));
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, value: `${i}` }));

    it('1000 metrics are accepted and all stored; 1001 are rejected with nothing stored', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', { run_id: id, metrics: metrics(1000) });
      const h = await history(id, 'm');
      expect(h.metrics).toHaveLength(1000);
      expect(h.metrics[999]).toEqual({ key: 'm', value: 999, timestamp: 1999, step: 999 });
      const before = await rowCount(env.ctx, 'metrics');
      expectError(
        await c.post('/runs/log-batch', { run_id: id, metrics: metrics(1001, 'n') }),
        400,
        'INVALID_PARAMETER_VALUE',
        '1000',
      );
      expect(await rowCount(env.ctx, 'metrics')).toBe(before);
    });

    it('100 params are accepted; 101 are rejected', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', { run_id: id, params: params(100) });
      expect(Object.keys(paramsOf(await getRun(id)))).toHaveLength(100);
      const id2 = await newRun();
      expectError(
        await c.post('/runs/log-batch', { run_id: id2, params: params(101) }),
        400,
        'INVALID_PARAMETER_VALUE',
        '100',
      );
      expect(paramsOf(await getRun(id2))).toEqual({});
    });

    it('100 tags are accepted; 101 are rejected', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', { run_id: id, tags: tags(100) });
      // 100 logged tags plus mlflow.runName.
      expect(Object.keys(tagsOf(await getRun(id)))).toHaveLength(101);
      expectError(
        await c.post('/runs/log-batch', { run_id: id, tags: tags(101) }),
        400,
        'INVALID_PARAMETER_VALUE',
        '100',
      );
    });

    it('900 metrics + 50 params + 50 tags are accepted; 900 + 50 + 51 are rejected', async () => {
      const id = await newRun();
      await c.ok('/runs/log-batch', {
        run_id: id,
        metrics: metrics(900),
        params: params(50),
        tags: tags(50),
      });
      const run = await getRun(id);
      expect(Object.keys(paramsOf(run))).toHaveLength(50);
      expect((await history(id, 'm')).metrics).toHaveLength(900);
      const id2 = await newRun();
      const before = await snapshot(env.ctx);
      expectError(
        await c.post('/runs/log-batch', {
          run_id: id2,
          metrics: metrics(900),
          params: params(50),
          tags: tags(51),
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        '1000',
      );
      expect(await snapshot(env.ctx)).toEqual(before);
    });

    it('keys of 250 characters are accepted; 251 are rejected for metrics, params and tags', async () => {
      const id = await newRun();
      const k250 = 'k'.repeat(250);
      const k251 = 'k'.repeat(251);
      await c.ok('/runs/log-batch', {
        run_id: id,
        metrics: [{ key: k250, value: 1, timestamp: 1 }],
        params: [{ key: k250, value: 'v' }],
        tags: [{ key: k250, value: 'v' }],
      });
      for (const body of [
        { metrics: [{ key: k251, value: 1, timestamp: 1 }] },
        { params: [{ key: k251, value: 'v' }] },
        { tags: [{ key: k251, value: 'v' }] },
      ]) {
        expectError(
          await c.post('/runs/log-batch', { run_id: id, ...body }),
          400,
          'INVALID_PARAMETER_VALUE',
          '250',
        );
      }
      expectError(
        await c.post('/runs/log-metric', { run_id: id, key: k251, value: 1, timestamp: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        '250',
      );
      expectError(
        await c.post('/runs/log-parameter', { run_id: id, key: k251, value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await c.post('/runs/set-tag', { run_id: id, key: k251, value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('param values of 6000 characters are accepted; 6001 are rejected', async () => {
      const id = await newRun();
      await c.ok('/runs/log-parameter', { run_id: id, key: 'p6000', value: 'x'.repeat(6000) });
      await c.ok('/runs/log-batch', { run_id: id, params: [{ key: 'b6000', value: 'y'.repeat(6000) }] });
      const p = paramsOf(await getRun(id));
      expect(p.p6000).toHaveLength(6000);
      expect(p.b6000).toHaveLength(6000);
      expectError(
        await c.post('/runs/log-parameter', { run_id: id, key: 'p6001', value: 'x'.repeat(6001) }),
        400,
        'INVALID_PARAMETER_VALUE',
        '6000',
      );
      expectError(
        await c.post('/runs/log-batch', { run_id: id, params: [{ key: 'b6001', value: 'x'.repeat(6001) }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        '6000',
      );
      expect(paramsOf(await getRun(id))).not.toHaveProperty('p6001');
    });

    it('tag values of 8000 characters are accepted; 8001 are rejected', async () => {
      const id = await newRun();
      await c.ok('/runs/set-tag', { run_id: id, key: 't8000', value: 'x'.repeat(8000) });
      await c.ok('/runs/log-batch', { run_id: id, tags: [{ key: 'b8000', value: 'y'.repeat(8000) }] });
      const t = tagsOf(await getRun(id));
      expect(t.t8000).toHaveLength(8000);
      expect(t.b8000).toHaveLength(8000);
      expectError(
        await c.post('/runs/set-tag', { run_id: id, key: 't8001', value: 'x'.repeat(8001) }),
        400,
        'INVALID_PARAMETER_VALUE',
        '8000',
      );
      expectError(
        await c.post('/runs/log-batch', { run_id: id, tags: [{ key: 'b8001', value: 'x'.repeat(8001) }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        '8000',
      );
      expect(tagsOf(await getRun(id))).not.toHaveProperty('t8001');
    });

    it('a metric without timestamp → 400 naming the field; without step → OK (step 0)', async () => {
      const id = await newRun();
      const before = await snapshot(env.ctx);
      expectError(
        await c.post('/runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, step: 0 }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        "'metrics[0].timestamp'",
      );
      expectError(
        await c.post('/runs/log-metric', { run_id: id, key: 'm', value: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "'timestamp'",
      );
      expect(await snapshot(env.ctx)).toEqual(before);
      await c.ok('/runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: 7 }] });
      expect((await history(id, 'm')).metrics).toEqual([{ key: 'm', value: 1, timestamp: 7, step: 0 }]);
    });

    // BUG: for int64/double fields (zod unions) a missing value is reported as
    // "Invalid value undefined for parameter … supplied: Invalid input" instead of MLflow's
    // "Missing value for required parameter …" (asserted by MLflow's test_log_batch_validation).
    it('a missing timestamp / value uses MLflow\'s "Missing value for required parameter" wording', async () => {
      const id = await newRun();
      expectError(
        await c.post('/runs/log-batch', { run_id: id, metrics: [{ key: 'mae', value: 2.5 }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'metrics[0].timestamp'",
      );
      expectError(
        await c.post('/runs/log-metric', { run_id: id, key: 'm', value: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'timestamp'",
      );
      expectError(
        await c.post('/runs/log-metric', { run_id: id, key: 'm', timestamp: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'value'",
      );
    });

    it('metrics: "foo" → 400 naming metrics; a string step → 400 naming step', async () => {
      const id = await newRun();
      expectError(
        await c.post('/runs/log-batch', { run_id: id, metrics: 'foo' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "'metrics'",
      );
      expectError(
        await c.post('/runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1, step: 'foo' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid value "foo" for parameter \'step\' supplied',
      );
    });
  });

  describe('log-inputs', () => {
    it('datasets appear in runs/get inputs.dataset_inputs and are searchable by datasets.*', async () => {
      const id = await newRun();
      const other = await newRun();
      const dataset = {
        name: 'iris',
        digest: 'abc123',
        source_type: 'local',
        source: '{"uri": "/data/iris.csv"}',
        schema: '{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
        profile: '{"num_rows": 2, "num_elements": 6}',
      };
      expect(
        (
          await c.post('/runs/log-inputs', {
            run_id: id,
            datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }],
          })
        ).raw,
      ).toBe('{}');
      const run = await getRun(id);
      expect(run.inputs).toEqual({
        dataset_inputs: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }],
      });
      // A run without inputs has an empty inputs object.
      expect((await getRun(other)).inputs).toEqual({});

      const found = async (filter: string) =>
        ((await c.ok('/runs/search', { experiment_ids: [exp], filter })).runs ?? []).map(
          (r: Json) => r.info.run_id,
        );
      expect(await found("datasets.name = 'iris'")).toEqual([id]);
      expect(await found("datasets.digest = 'abc123'")).toEqual([id]);
      expect(await found("datasets.context = 'training'")).toEqual([id]);
      expect(await found("datasets.name = 'nope'")).toEqual([]);
    });

    it('a dataset without a digest → 400 naming the field, nothing written', async () => {
      const id = await newRun();
      const before = await snapshot(env.ctx);
      expectError(
        await c.post('/runs/log-inputs', {
          run_id: id,
          datasets: [{ dataset: { name: 'x', source_type: 'local', source: '{}' } }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        'datasets[0].dataset.digest',
      );
      expect(await snapshot(env.ctx)).toEqual(before);
    });
  });

  describe('log-model', () => {
    it('appends each model to the mlflow.log-model.history tag', async () => {
      const id = await newRun();
      const m1 = mlmodel(id, 'model');
      const m2 = { ...mlmodel(id, 'model2'), flavors: { sklearn: { sklearn_version: '1.5.0' } } };
      expect((await c.post('/runs/log-model', { run_id: id, model_json: JSON.stringify(m1) })).raw).toBe(
        '{}',
      );
      let tag = tagsOf(await getRun(id))['mlflow.log-model.history'];
      expect(JSON.parse(tag ?? 'null')).toEqual([expect.objectContaining(m1)]);
      await c.ok('/runs/log-model', { run_id: id, model_json: JSON.stringify(m2) });
      tag = tagsOf(await getRun(id))['mlflow.log-model.history'];
      expect(JSON.parse(tag ?? 'null')).toEqual([expect.objectContaining(m1), expect.objectContaining(m2)]);
    });

    it('invalid model_json → 400 naming model_json; unknown run → 404', async () => {
      const id = await newRun();
      expectError(
        await c.post('/runs/log-model', { run_id: id, model_json: '{not json' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'model_json',
      );
      expectError(
        await c.post('/runs/log-model', {
          run_id: 'f'.repeat(32),
          model_json: JSON.stringify(mlmodel('f'.repeat(32), 'm')),
        }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('metrics/get-history', () => {
    let id: string;
    const N = 25;
    beforeAll(async () => {
      id = await newRun();
      // Logged out of order, across several requests.
      const steps = Array.from({ length: N }, (_, i) => (i * 7) % N);
      for (let i = 0; i < N; i += 10) {
        await c.ok('/runs/log-batch', {
          run_id: id,
          metrics: steps
            .slice(i, i + 10)
            .map((s) => ({ key: 'h', value: s / 10, timestamp: 5000 + s, step: s })),
        });
      }
    });
    const expected = Array.from({ length: N }, (_, s) => ({
      key: 'h',
      value: s / 10,
      timestamp: 5000 + s,
      step: s,
    }));

    it('without max_results returns everything ordered by step, with no next_page_token', async () => {
      const b = await history(id, 'h');
      expect(b).toEqual({ metrics: expected });
    });

    it('max_results + page_token walks all pages in step order', async () => {
      const seen: Json[] = [];
      const sizes: number[] = [];
      let token: string | undefined;
      for (let i = 0; i < 10; i++) {
        const b = await history(id, 'h', { max_results: 10, ...(token ? { page_token: token } : {}) });
        seen.push(...b.metrics);
        sizes.push(b.metrics.length);
        token = b.next_page_token;
        if (!token) {
          expect(b).not.toHaveProperty('next_page_token');
          break;
        }
      }
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(expected);
    });

    it('an unknown key → {} (empty list omitted); an unknown run → 404', async () => {
      expect(await history(id, 'nope')).toEqual({});
      expectError(
        await c.get('/metrics/get-history', { run_id: 'f'.repeat(32), metric_key: 'h' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('works under /ajax-api too', async () => {
      const ajax = client(env.app, AJAX);
      expect(await ajax.okGet('/metrics/get-history', { run_id: id, metric_key: 'h' })).toEqual({
        metrics: expected,
      });
    });
  });
});
