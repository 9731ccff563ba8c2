/**
 * Serving over real HTTP: a GBDT (credit@1) and a logistic model (credit@2) on the same inputs,
 * deployed as `loans`, called through the Open Inference Protocol, MLflow's /invocations and the
 * records API; canary, promote, rollback, shadows, feedback, /metrics, backpressure and restarts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobSegments } from '../../src/artifacts/source.js';
import { train } from '../../src/models/train/index.js';
import { Keel } from '../../src/sdk/index.js';
import { buildApp } from '../../src/server/app.js';
import { DIALECTS, type Dialect, type TestEnv, testEnv } from '../helpers/context.js';
import { mixedTable } from '../models/train/mixed-table.js';
import { diff, FEATURES, type Fixture, fixture, SCORE } from './runtime-fixture.js';

type Row = Record<string, string | number | boolean | null>;

/** SCORE row i as a record of raw feature values. */
function record(i: number): Row {
  const r: Row = {};
  for (const f of FEATURES) {
    const v = SCORE.columns[f]![i];
    r[f] = v === undefined ? null : (v as Row[string]);
  }
  return r;
}

/** SCORE row i as OIP inputs: [1, 1] FP32 for numeric features, BYTES for categoricals. */
function oipInputs(i: number) {
  return FEATURES.map((f) => {
    const v = SCORE.columns[f]![i];
    const categorical = SCORE.schema.columns.find((c) => c.name === f)?.type === 'categorical';
    const data = categorical
      ? [v === null ? '' : String(v)]
      : [v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v];
    return { name: f, shape: [1, 1], datatype: categorical ? 'BYTES' : 'FP32', data };
  });
}

describe.each(DIALECTS)('serving over HTTP (%s)', (dialect: Dialect) => {
  let env: TestEnv;
  let app: FastifyInstance;
  let url: string;
  let gbdt: Fixture;
  let logistic: Fixture;

  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${url}${p}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await r.text();
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status, body: json, text, headers: r.headers };
  };

  beforeAll(async () => {
    [gbdt, logistic] = await Promise.all([fixture('gbdt'), fixture('logistic')]);
    env = await testEnv(dialect);
    app = await buildApp(env.ctx, { allowLocal: true });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    const keel = new Keel({ url });
    await keel.models.registerVersion({ name: 'credit', onnx: gbdt.bytes, createModel: true });
    await keel.models.registerVersion({ name: 'credit', onnx: logistic.bytes });
    const r = await call('POST', '/api/v1/deployments', { name: 'loans', model: 'credit@1' });
    expect(r.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('answers the Open Inference Protocol: health, metadata, readiness and inference with the id echoed', async () => {
    expect((await call('GET', '/v2/health/live')).body).toEqual({ live: true });
    expect((await call('GET', '/v2')).body).toMatchObject({ name: 'keel' });
    const meta = await call('GET', '/v2/models/loans');
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ name: 'loans', versions: ['1'], platform: 'onnx_onnxv1' });
    expect(meta.body.inputs.map((i: { name: string }) => i.name).sort()).toEqual([...FEATURES].sort());
    expect((await call('GET', '/v2/models/loans/ready')).body).toEqual({ name: 'loans', ready: true });
    expect((await call('GET', '/v2/health/ready')).status).toBe(200);

    const r = await call('POST', '/v2/models/loans/infer', { id: 'req-42', inputs: oipInputs(3) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ model_name: 'loans', model_version: '1', id: 'req-42' });
    const probs = r.body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(probs).toMatchObject({ datatype: 'FP32', shape: [1, 2] });
    expect(diff(probs.data, gbdt.expected, 3)).toBeLessThan(1e-6);

    const only = await call('POST', '/v2/models/loans/versions/1/infer', {
      inputs: oipInputs(5),
      outputs: [{ name: 'label' }],
    });
    expect(only.status).toBe(200);
    expect(only.body.outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
  });

  it('answers OIP errors as {"error": …} with 400 / 404 naming the problem', async () => {
    const wrongType = oipInputs(0).map((i) => (i.name === 'age' ? { ...i, datatype: 'FP64' } : i));
    const bad = await call('POST', '/v2/models/loans/infer', { inputs: wrongType });
    expect(bad.status).toBe(400);
    expect(typeof bad.body.error).toBe('string');
    expect(bad.body.error).toMatch(/age/);
    const shape = oipInputs(0).map((i) => (i.name === 'income' ? { ...i, shape: [1, 2] } : i));
    expect((await call('POST', '/v2/models/loans/infer', { inputs: shape })).body.error).toMatch(/income/);
    const missing = oipInputs(0).filter((i) => i.name !== 'plan');
    expect((await call('POST', '/v2/models/loans/infer', { inputs: missing })).body.error).toMatch(/plan/);
    const nonNumeric = oipInputs(0).map((i) => (i.name === 'score' ? { ...i, data: ['high'] } : i));
    expect((await call('POST', '/v2/models/loans/infer', { inputs: nonNumeric })).status).toBe(400);
    const unknown = await call('POST', '/v2/models/nope/infer', { inputs: oipInputs(0) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/nope/);
    const version = await call('POST', '/v2/models/loans/versions/9/infer', { inputs: oipInputs(0) });
    expect(version.status).toBe(404);
    expect(version.body.error).toMatch(/9/);
    const huge = await call(
      'POST',
      '/v2/models/loans/infer',
      `{"inputs": [], "pad": "${'x'.repeat(17 * 1024 * 1024)}"}`,
    );
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatch(/larger than the limit/);
    const malformed = await call('POST', '/v2/models/loans/infer', '{"inputs": [');
    expect(malformed.status).toBe(400);
    expect(typeof malformed.body.error).toBe('string');
    // The worker survived every bad request.
    expect((await call('POST', '/v2/models/loans/infer', { inputs: oipInputs(1) })).status).toBe(200);
  });

  it('predicts records by feature name, with request id, model version and route', async () => {
    const r = await call('POST', '/api/v1/deployments/loans/predict', { records: [record(0), record(1)] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      deployment: 'loans',
      model: 'credit',
      model_version: 1,
      route: 'primary',
    });
    expect(r.body.request_id).toMatch(/\S+/);
    expect(r.headers.get('x-request-id')).toBe(r.body.request_id);
    expect(r.body.predictions).toHaveLength(2);
    const p = r.body.predictions[1];
    expect(Math.abs(p.score - gbdt.expected[1 * 2 + 1]!)).toBeLessThan(1e-6);
    expect(Object.keys(p.probabilities).sort()).toEqual(['false', 'true']);

    const { plan: _plan, ...noPlan } = record(0);
    const missing = await call('POST', '/api/v1/deployments/loans/predict', { records: [noPlan] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/plan/);
    const extra = await call('POST', '/api/v1/deployments/loans/predict', {
      records: [{ ...record(0), zip: 1 }],
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/zip/);
    const text = await call('POST', '/api/v1/deployments/loans/predict', {
      records: [{ ...record(0), income: 'lots' }],
    });
    expect(text.status).toBe(400);
    expect(text.body.error.message).toMatch(/income/);
    expect((await call('POST', '/api/v1/deployments/ghost/predict', { records: [record(0)] })).status).toBe(
      404,
    );
  });

  it("answers MLflow's /invocations for every input format and text/csv", async () => {
    const rows = [record(2), record(3)];
    const split = { columns: FEATURES, data: rows.map((r) => FEATURES.map((f) => r[f])) };
    for (const body of [
      { dataframe_split: split },
      { dataframe_records: rows },
      { instances: rows },
      { inputs: Object.fromEntries(FEATURES.map((f) => [f, rows.map((r) => r[f])])) },
    ]) {
      const r = await call('POST', '/deployments/loans/invocations', body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.predictions).toHaveLength(2);
      expect(diff(r.body.predictions[1].probabilities, gbdt.expected, 3)).toBeLessThan(1e-6);
    }
    const csv = [FEATURES.join(','), ...rows.map((r) => FEATURES.map((f) => r[f] ?? '').join(','))].join(
      '\n',
    );
    const c = await call('POST', '/deployments/loans/invocations', csv, { 'content-type': 'text/csv' });
    expect(c.status, c.text).toBe(200);
    expect(c.body.predictions).toHaveLength(2);

    const ragged = await call('POST', '/deployments/loans/invocations', `${FEATURES.join(',')}\n1,2\n`, {
      'content-type': 'text/csv',
    });
    expect(ragged.status).toBe(400);
    expect(ragged.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(ragged.body.message).toMatch(/line 2/);
    const two = await call('POST', '/deployments/loans/invocations', { instances: rows, inputs: rows });
    expect(two.status).toBe(400);
    const xml = await call('POST', '/deployments/loans/invocations', '<rows/>', {
      'content-type': 'application/xml',
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error_code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('canaries sticky by header, promotes and rolls back instantly', async () => {
    const t = await call('POST', '/api/v1/deployments/loans/traffic', {
      canary: { ref: 2, weight: 30 },
      sticky: { header: 'x-customer' },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const seen = new Map<string, Set<number>>();
    let canary = 0;
    for (let i = 0; i < 120; i++) {
      const customer = `c${i % 40}`;
      const r = await call(
        'POST',
        '/api/v1/deployments/loans/predict',
        { records: [record(i)] },
        { 'x-customer': customer },
      );
      expect(r.status).toBe(200);
      if (!seen.has(customer)) seen.set(customer, new Set());
      seen.get(customer)!.add(r.body.model_version);
      if (r.body.route === 'canary') {
        canary++;
        expect(r.body.model_version).toBe(2);
      }
    }
    // Sticky: one version per customer; both versions in use.
    for (const versions of seen.values()) expect(versions.size).toBe(1);
    expect(canary).toBeGreaterThan(0);
    expect(canary).toBeLessThan(120);

    const promoted = await call('POST', '/api/v1/deployments/loans/promote');
    expect(promoted.status).toBe(200);
    expect(promoted.body.spec).toMatchObject({ primary: 2, previous: 1, canary: null });
    const after = await call('POST', '/api/v1/deployments/loans/predict', { records: [record(4)] });
    expect(after.body).toMatchObject({ model_version: 2, route: 'primary' });
    expect(Math.abs(after.body.predictions[0].score - logistic.expected[4 * 2 + 1]!)).toBeLessThan(1e-6);

    const back = await call('POST', '/api/v1/deployments/loans/rollback');
    expect(back.body.spec).toMatchObject({ primary: 1, previous: 2 });
    expect(
      (await call('POST', '/api/v1/deployments/loans/predict', { records: [record(4)] })).body.model_version,
    ).toBe(1);
    const status = (await call('GET', '/api/v1/deployments/loans')).body.status;
    expect(status.versions).toContainEqual(expect.objectContaining({ version: 2, state: 'standby' }));
  });

  it('mirrors traffic to a shadow without answering from it, logs both routes, joins feedback', async () => {
    await call('POST', '/api/v1/deployments/loans/traffic', { shadows: [2], sticky: null });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await call('POST', '/api/v1/deployments/loans/predict', { records: [record(i)] });
      expect(r.body).toMatchObject({ model_version: 1, route: 'primary' });
      ids.push(r.body.request_id);
    }
    // Shadows run off the request path: wait for their counters.
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = (await call('GET', '/metrics')).text;
      if (/keel_serving_requests_total\{[^}]*route="shadow"[^}]*\} 10/.test(text)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(text).toMatch(
      /keel_serving_requests_total\{deployment="loans",model="credit",version="2",route="shadow"\} 10/,
    );
    expect(text).toMatch(/keel_serving_queue_duration_seconds_bucket/);
    expect(text).toMatch(/keel_serving_compute_duration_seconds_bucket/);
    expect(text).toMatch(/keel_serving_batch_rows_bucket/);
    expect(text).toMatch(/keel_serving_errors_total\{deployment="loans",reason="bad_input"/);

    await app.serving.log?.flush();
    const fb = await call('POST', '/api/v1/deployments/loans/feedback', [
      { request_id: ids[0], label: 1 },
      { request_id: ids[1], label: 0, timestamp: '2026-11-26T10:00:00Z' },
    ]);
    expect(fb.status, JSON.stringify(fb.body)).toBe(200);
    expect(fb.body).toMatchObject({ accepted: 2, matched: 2 });
    const logged = await call('GET', `/api/v1/deployments/loans/predictions?limit=1000`);
    expect(logged.status).toBe(200);
    const rows = logged.body.predictions as { requestId: string; route: string; label?: unknown }[];
    const first = rows.filter((p) => p.requestId === ids[0]);
    expect(first.map((p) => p.route).sort()).toEqual(['primary', 'shadow']);
    await call('POST', '/api/v1/deployments/loans/traffic', { shadows: [] });
  });

  it('answers a full queue with 503 and Retry-After, and keeps serving', async () => {
    const c = await call('POST', '/api/v1/deployments', {
      name: 'tiny',
      model: 'credit@1',
      batching: { maxBatchRows: 1, maxQueueRows: 1, workers: 1 },
    });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call('POST', '/v2/models/tiny/infer', { inputs: oipInputs(i % 50) }),
      ),
    );
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(Number(busy[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(busy[0]!.body.error).toMatch(/queue/);
    expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    expect((await call('POST', '/v2/models/tiny/infer', { inputs: oipInputs(0) })).status).toBe(200);
  });

  it('takes a shorter per-request timeout from x-keel-timeout-ms and refuses a bad one', async () => {
    const ok = await call(
      'POST',
      '/v2/models/loans/infer',
      { inputs: oipInputs(0) },
      { 'x-keel-timeout-ms': '5000' },
    );
    expect(ok.status).toBe(200);
    const bad = await call(
      'POST',
      '/v2/models/loans/infer',
      { inputs: oipInputs(0) },
      { 'x-keel-timeout-ms': 'soon' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/x-keel-timeout-ms/);
  });

  it('swaps primaries under load without a failed request', async () => {
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      while (!stop) {
        const batch = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            call('POST', '/v2/models/loans/infer', { inputs: oipInputs(i) }),
          ),
        );
        statuses.push(...batch.map((r) => r.status));
      }
    })();
    for (let i = 0; i < 6; i++) {
      const r = await call('POST', '/api/v1/deployments/loans/primary', { model: (i % 2) + 1 === 1 ? 2 : 1 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('refuses a version whose ONNX fails to load and keeps the primary serving', async () => {
    const keel = new Keel({ url });
    // A model of its own (its blob shared with no other version), then corrupted behind
    // registration's back, as a disk or bucket gone bad would.
    const other = train(mixedTable({ rows: 300, seed: 3 }), {
      kind: 'logistic',
      target: 'approved',
      features: FEATURES,
    });
    const v3 = await keel.models.registerVersion({ name: 'credit', onnx: other.toOnnx() });
    const file = path.join(env.dir, 'artifacts', ...blobSegments(v3.onnx!.sha256));
    fs.writeFileSync(file, Buffer.from('not an onnx model'));
    const r = await call('POST', '/api/v1/deployments/loans/traffic', {
      canary: { ref: v3.version, weight: 10 },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/cannot load/);
    const d = (await call('GET', '/api/v1/deployments/loans')).body;
    expect(d.spec.canary).toBeNull();
    expect((await call('POST', '/v2/models/loans/infer', { inputs: oipInputs(0) })).status).toBe(200);
  });

  it('retries a version that failed to load at start once its model is readable again', async () => {
    const keel = new Keel({ url });
    const other = train(mixedTable({ rows: 300, seed: 5 }), {
      kind: 'logistic',
      target: 'approved',
      features: FEATURES,
    });
    const bytes = other.toOnnx();
    const v = await keel.models.registerVersion({ name: 'credit', onnx: bytes });
    expect(
      (await call('POST', '/api/v1/deployments', { name: 'flaky', model: `credit@${v.version}` })).status,
    ).toBe(200);
    const file = path.join(env.dir, 'artifacts', ...blobSegments(v.onnx!.sha256));
    await app.close();
    fs.writeFileSync(file, Buffer.from('the bucket is down'));
    app = await buildApp(env.ctx, { allowLocal: true, serving: 'eager', reconcileMs: 50, retryFailedMs: 50 });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.serving.status('flaky')?.ready).toBe(false);
    expect((await call('POST', '/v2/models/flaky/infer', { inputs: oipInputs(0) })).status).toBe(503);
    fs.writeFileSync(file, bytes);
    for (let i = 0; i < 100 && !app.serving.status('flaky')?.ready; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(app.serving.status('flaky')?.ready).toBe(true);
    expect((await call('POST', '/v2/models/flaky/infer', { inputs: oipInputs(0) })).status).toBe(200);
    await call('DELETE', '/api/v1/deployments/flaky');
  });

  it('serves its deployments again after a restart', async () => {
    const before = (await call('GET', '/api/v1/deployments/loans')).body.spec;
    await app.close();
    app = await buildApp(env.ctx, { allowLocal: true, serving: 'eager' });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.serving.status('loans')?.ready).toBe(true);
    const r = await call('POST', '/api/v1/deployments/loans/predict', { records: [record(0)] });
    expect(r.status).toBe(200);
    expect(r.body.model_version).toBe(before.primary);
  });
});
