import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  HttpTransport,
  Keel,
  KeelApiError,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from '../../src/sdk/index.js';
import { buildApp } from '../../src/server/app.js';
import { DIALECTS, type Dialect, type TestEnv, testEnv } from '../helpers/context.js';

interface Server {
  env: TestEnv;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** The real app listening on a free loopback port, over a fresh store. */
async function startServer(dialect: Dialect): Promise<Server> {
  const env = await testEnv(dialect);
  const app = await buildApp(env.ctx, { allowLocal: true });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    env,
    app,
    url,
    close: async () => {
      await app.close();
      await env.cleanup();
    },
  };
}

const readAll = async (s: Readable): Promise<Buffer> => Buffer.concat(await s.toArray());

/** Resolves with the rejection of `p` (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<KeelApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KeelApiError);
    return e as KeelApiError;
  }
  throw new Error('expected a rejection');
}

/** Wraps a transport to count log-batch requests and optionally fail some with a network error. */
class CountingTransport implements Transport {
  logBatches = 0;
  failNext = 0;
  constructor(private readonly inner: Transport) {}
  async request(r: TransportRequest): Promise<TransportResponse> {
    if (r.path.endsWith('/log-batch')) {
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('connection reset');
      }
      this.logBatches++;
    }
    return this.inner.request(r);
  }
}

describe.each(DIALECTS)('SDK over HTTP (%s)', (dialect) => {
  let server: Server;
  let keel: Keel;
  beforeAll(async () => {
    server = await startServer(dialect);
    keel = new Keel({ url: server.url });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('experiments and runs: full lifecycle', async () => {
    const exp = await keel.experiments.create({
      name: 'sdk/lifecycle',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(exp).toMatchObject({
      name: 'sdk/lifecycle',
      lifecycleStage: 'active',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(await keel.experiments.get(exp.experimentId)).toEqual(exp);
    expect((await keel.experiments.getByName('sdk/lifecycle')).experimentId).toBe(exp.experimentId);
    const listed = await keel.experiments.list({ filter: "name = 'sdk/lifecycle'" });
    expect(listed.experiments.map((e) => e.experimentId)).toEqual([exp.experimentId]);
    expect((await keel.experiments.rename(exp.experimentId, 'sdk-lifecycle')).name).toBe('sdk-lifecycle');
    await keel.experiments.setTag(exp.experimentId, 'stage/phase', 'dev');
    expect((await keel.experiments.get(exp.experimentId)).tags).toContainEqual({
      key: 'stage/phase',
      value: 'dev',
    });
    await keel.experiments.deleteTag(exp.experimentId, 'stage/phase');

    const run = await keel.runs.create({
      experimentId: exp.experimentId,
      runName: 'r1',
      tags: [{ key: 'a', value: 'b' }],
    });
    expect(run.info).toMatchObject({ runName: 'r1', status: 'RUNNING', endTime: null });
    const id = run.info.runId;
    await keel.runs.logBatch(id, {
      metrics: [
        { key: 'acc', value: 0.5, step: 0 },
        { key: 'acc', value: 0.75, step: 1 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'note', value: 'x' }],
    });
    const got = await keel.runs.get(id);
    expect(got.data.metrics).toEqual([expect.objectContaining({ key: 'acc', value: 0.75, step: 1 })]);
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect((await keel.runs.history(id, 'acc')).metrics.map((m) => m.value)).toEqual([0.5, 0.75]);
    const page = await keel.runs.history(id, 'acc', { maxResults: 1 });
    expect(page.metrics).toHaveLength(1);
    expect(page.nextPageToken).toEqual(expect.any(String));
    await keel.runs.deleteTag(id, 'note');
    await keel.runs.logInputs(id, [
      { tags: [], dataset: { name: 'd', digest: 'x1', sourceType: 'local', source: '/d' } },
    ]);
    expect((await keel.runs.get(id)).inputs.datasetInputs).toHaveLength(1);

    const found = await keel.runs.search({ experimentIds: [exp.experimentId], filter: 'metrics.acc > 0.7' });
    expect(found.runs.map((r) => r.info.runId)).toEqual([id]);
    const info = await keel.runs.update(id, { status: 'FINISHED', endTime: 12345 });
    expect(info).toMatchObject({ status: 'FINISHED', endTime: 12345 });

    await keel.runs.delete(id);
    expect((await keel.runs.get(id)).info.lifecycleStage).toBe('deleted');
    await keel.runs.restore(id);
    await keel.experiments.delete(exp.experimentId);
    expect((await keel.experiments.get(exp.experimentId)).lifecycleStage).toBe('deleted');
    expect((await keel.runs.get(id)).info.lifecycleStage).toBe('deleted');
    await keel.experiments.restore(exp.experimentId);

    const audit = await keel.audit.list({ objectType: 'run', objectId: id });
    expect(audit.entries.map((e) => e.action)).toEqual([
      'run.create',
      'run.log',
      'run.delete_tag',
      'run.log_inputs',
      'run.update',
      'run.delete',
      'run.restore',
    ]);
    expect(audit.entries[4]?.after).toEqual({ status: 'FINISHED', end_time: 12345 });
    const verified = await keel.audit.verify();
    expect(verified.ok).toBe(true);
    expect(verified.checked).toBeGreaterThan(10);
  });

  test('errors surface as KeelApiError with status, code and field', async () => {
    const missing = await rejection(keel.experiments.get('424242'));
    expect(missing).toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(missing.message).toContain('424242');
    const run = await keel.runs.create({});
    const bad = await rejection(keel.runs.update(run.info.runId, { status: 'DONE' as 'FINISHED' }));
    expect(bad).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE', field: 'status' });
    await keel.experiments.create({ name: 'twice' });
    expect(await rejection(keel.experiments.create({ name: 'twice' }))).toMatchObject({
      code: 'RESOURCE_ALREADY_EXISTS',
    });
  });

  test('startRun: 2,500 buffered metrics, params and tags arrive exactly, in order, in several requests', async () => {
    const transport = new CountingTransport(new HttpTransport(server.url));
    const client = new Keel({ transport });
    const run = await client.startRun({
      experimentName: 'sdk-bulk',
      runName: 'bulk',
      tags: { origin: 'test' },
    });
    expect((await keel.experiments.getByName('sdk-bulk')).experimentId).toBe(run.experimentId);

    const ts = 1_700_000_000_000;
    // Same step and timestamp throughout: the server's history order is then arrival order.
    for (let i = 0; i < 2500; i++) run.logMetric('loss', i, 0, ts);
    for (let i = 0; i < 150; i++) run.logParam(`p${i}`, i);
    run.logParams({ lr: 0.01, optimizer: 'adam', shuffle: true });
    for (let i = 0; i < 120; i++) run.setTag(`t${i}`, `v${i}`);
    run.logMetrics({ acc: 0.9, f1: 0.8 }, 7);
    const info = await run.end();
    expect(info.status).toBe('FINISHED');
    expect(info.endTime).toEqual(expect.any(Number));
    expect(run.pending).toBe(0);

    const history = await keel.runs.history(run.runId, 'loss');
    expect(history.metrics).toHaveLength(2500);
    expect(history.metrics.map((m) => m.value)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    const got = await keel.runs.get(run.runId);
    expect(got.data.params).toHaveLength(153);
    expect(got.data.params).toContainEqual({ key: 'shuffle', value: 'true' });
    expect(got.data.tags.filter((t) => /^t\d+$/.test(t.key))).toHaveLength(120);
    expect(got.data.tags).toContainEqual({ key: 'origin', value: 'test' });
    expect(got.data.metrics.find((m) => m.key === 'acc')).toMatchObject({ value: 0.9, step: 7 });

    // 2,500 metrics need 3 requests at MLflow's 1,000 per batch; params and tags add more.
    expect(transport.logBatches).toBeGreaterThanOrEqual(3);
    const audit = await keel.audit.list({ objectType: 'run', objectId: run.runId, limit: 1000 });
    expect(audit.entries.filter((e) => e.action === 'run.log')).toHaveLength(transport.logBatches);

    // A second run by the same experiment name reuses the experiment.
    const again = await client.startRun({ experimentName: 'sdk-bulk' });
    expect(again.experimentId).toBe(run.experimentId);
    await again.end('KILLED');
    expect((await keel.runs.get(again.runId)).info.status).toBe('KILLED');
  });

  test('logging is buffered and flushed in the background', async () => {
    const transport = new CountingTransport(new HttpTransport(server.url));
    const run = await new Keel({ transport }).startRun({ flushIntervalMs: 30 });
    run.logMetric('m', 1);
    run.logMetric('m', 2);
    expect(run.pending).toBe(2);
    expect(transport.logBatches).toBe(0);
    await expect
      .poll(async () => (await keel.runs.history(run.runId, 'm')).metrics.length, { timeout: 5000 })
      .toBe(2);
    expect(transport.logBatches).toBe(1);
    await run.end();
  });

  test('NaN and ±Infinity round-trip', async () => {
    const run = await keel.startRun({ experimentName: 'sdk-nan' });
    run.logMetric('nan', Number.NaN, 0);
    run.logMetric('inf', Number.POSITIVE_INFINITY, 0);
    run.logMetric('inf', Number.NEGATIVE_INFINITY, 1);
    await run.flush();
    expect((await keel.runs.history(run.runId, 'nan')).metrics[0]?.value).toBeNaN();
    expect((await keel.runs.history(run.runId, 'inf')).metrics.map((m) => m.value)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    await keel.runs.logBatch(run.runId, { metrics: [{ key: 'direct', value: Number.NaN }] });
    const got = await keel.runs.get(run.runId);
    expect(got.data.metrics.find((m) => m.key === 'nan')?.value).toBeNaN();
    expect(got.data.metrics.find((m) => m.key === 'direct')?.value).toBeNaN();
    expect(got.data.metrics.find((m) => m.key === 'inf')?.value).toBe(Number.NEGATIVE_INFINITY);
    await run.end();
  });

  test('a refused batch surfaces from end() and does not take other items with it', async () => {
    const run = await keel.startRun({ experimentName: 'sdk-errors' });
    run.logParam('lr', '0.1');
    await run.flush();
    run.logMetric('before', 1);
    run.logParam('lr', '0.2');
    run.logMetric('after', 2);
    const err = await rejection(run.end());
    expect(err).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
    expect(err.message).toContain('Changing param values is not allowed');
    const got = await keel.runs.get(run.runId);
    expect(got.info.status).toBe('FINISHED');
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(got.data.metrics.map((m) => m.key)).toEqual(['after', 'before']);
    expect(() => run.logMetric('late', 1)).toThrow(/ended/);
  });

  test('a refused background flush is rethrown by the next flush(), once', async () => {
    const run = await keel.startRun({ experimentName: 'sdk-errors', flushIntervalMs: 20 });
    run.logMetric('ok', 1);
    run.logParam('bad key!', 'x');
    await expect.poll(() => run.pending, { timeout: 5000 }).toBe(0);
    expect(await rejection(run.flush())).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await run.flush();
    await run.end();
  });

  test('a transient failure keeps the items buffered and they are retried', async () => {
    const transport = new CountingTransport(new HttpTransport(server.url));
    const run = await new Keel({ transport }).startRun({ flushIntervalMs: 20 });
    transport.failNext = 2;
    run.logMetric('m', 1);
    run.logMetric('m', 2);
    await expect(run.flush()).rejects.toThrow(/connection reset/);
    expect(run.pending).toBe(2);
    // The background timer retries on its own, and the next flush has nothing left to report.
    await expect.poll(() => run.pending, { timeout: 5000 }).toBe(0);
    await run.flush();
    expect((await keel.runs.history(run.runId, 'm')).metrics.map((m) => m.value)).toEqual([1, 2]);
    await run.end();
  });

  test('artifacts: upload and download round trip', async () => {
    const run = await keel.runs.create({});
    const id = run.info.runId;
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    // A streamed upload: chunks of 64 KiB from a generator.
    const chunks = function* () {
      for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536);
    };
    await keel.runs.uploadArtifact(id, 'model/weights.bin', Readable.from(chunks()));
    await keel.runs.uploadArtifact(id, 'model/MLmodel', 'flavors: {}\n');
    await keel.runs.uploadArtifact(id, 'notes/50% done.txt', new TextEncoder().encode('half'));

    expect(await keel.runs.listArtifacts(id)).toEqual([
      { path: 'model', isDir: true },
      { path: 'notes', isDir: true },
    ]);
    expect(await keel.runs.listArtifacts(id, 'model')).toEqual([
      { path: 'model/MLmodel', isDir: false, fileSize: 12 },
      { path: 'model/weights.bin', isDir: false, fileSize: big.length },
    ]);
    expect((await readAll(await keel.runs.downloadArtifact(id, 'model/weights.bin'))).equals(big)).toBe(true);
    expect((await readAll(await keel.runs.downloadArtifact(id, 'model/MLmodel'))).toString()).toBe(
      'flavors: {}\n',
    );
    expect((await readAll(await keel.runs.downloadArtifact(id, 'notes/50% done.txt'))).toString()).toBe(
      'half',
    );
    expect(await rejection(keel.runs.downloadArtifact(id, 'model/missing'))).toMatchObject({
      status: 404,
      code: 'RESOURCE_DOES_NOT_EXIST',
    });

    await keel.runs.deleteArtifact(id, 'notes');
    expect((await keel.runs.listArtifacts(id)).map((f) => f.path)).toEqual(['model']);
  });
});

describe.each(DIALECTS)('SDK tokens (%s)', (dialect) => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  test('once a token exists: no token → 401, viewer writes → 403, editor writes', async () => {
    const local = new Keel({ url: server.url });
    const admin = await local.tokens.create({ name: 'root', role: 'admin' });
    expect(admin.info).toMatchObject({ name: 'root', role: 'admin', revokedAt: null });

    expect(await rejection(local.experiments.list())).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    const asAdmin = new Keel({ url: server.url, token: admin.token });
    const viewerToken = (await asAdmin.tokens.create({ name: 'reader', role: 'viewer' })).token;
    const editorToken = (await asAdmin.tokens.create({ name: 'writer', role: 'editor' })).token;
    expect((await asAdmin.tokens.list()).map((t) => `${t.name}:${t.role}`)).toEqual([
      'root:admin',
      'reader:viewer',
      'writer:editor',
    ]);

    const viewer = new Keel({ url: server.url, token: viewerToken });
    expect((await viewer.experiments.list()).experiments.length).toBeGreaterThan(0);
    expect(await rejection(viewer.experiments.create({ name: 'nope' }))).toMatchObject({
      status: 403,
      code: 'PERMISSION_DENIED',
    });
    expect(await rejection(viewer.tokens.list())).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });

    const editor = new Keel({ url: server.url, token: editorToken });
    const run = await editor.startRun({ experimentName: 'by-editor' });
    run.logMetric('m', 1);
    await run.end();
    expect((await viewer.runs.get(run.runId)).info.userId).toBe('writer');
    expect(await rejection(editor.tokens.create({ name: 'x', role: 'admin' }))).toMatchObject({
      status: 403,
    });

    await asAdmin.tokens.revoke('reader');
    expect(await rejection(viewer.experiments.list())).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    const entries = (await asAdmin.audit.list({ objectType: 'token' })).entries;
    expect(entries.map((e) => `${e.action}:${e.objectId}:${e.actor}`)).toEqual([
      'token.create:root:local',
      'token.create:reader:root',
      'token.create:writer:root',
      'token.revoke:reader:root',
    ]);
  });
});
