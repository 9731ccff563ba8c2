/**
 * The README's serving walkthrough, end to end: a real `keel server` process on a fresh data dir,
 * two models trained and registered by the CLI, `keel deploy` against the server, the three
 * inference protocols over HTTP, canary → promote → rollback, feedback joined to the prediction
 * log, /metrics, the audit trail, and the prediction log flushed when the server stops.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../../src/data/generators/agrawal.js';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');
const FEATURES = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
  'region',
];
const REGIONS = ['north', 'east', 'south'];

type Applicant = Record<string, string | number>;

/** Applicants as the walkthrough's CSV has them: numbers, a categorical region, the 0/1 label. */
function applicants(seed: number, n: number): Applicant[] {
  return sample({ seed, fn: 2, labelNoise: 0.03 }, n).map((r) => {
    const a: Applicant = {};
    for (const f of FEATURES) {
      const v = f === 'region' ? REGIONS[r.zipcode % 3]! : (r[f as keyof typeof r] as number);
      a[f] = typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v;
    }
    a.approved = Number(r.approved);
    return a;
  });
}

const features = (a: Applicant) => Object.fromEntries(FEATURES.map((f) => [f, a[f]]));
const oipInputs = (a: Applicant) =>
  FEATURES.map((f) => ({
    name: f,
    datatype: f === 'region' ? 'BYTES' : 'FP32',
    shape: [1, 1],
    data: [a[f]],
  }));

async function keel(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, KEEL_URL: '', KEEL_TOKEN: '', KEEL_DATA_DIR: '', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** `keel server --port 0` as a child process; resolves with its URL once it listens. */
async function startServer(dataDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    [BIN, 'server', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'],
    { env: { ...process.env, KEEL_DATABASE_URL: '', KEEL_ARTIFACTS: '' } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { url, proc };
}

/** SIGTERM, then the exit code once the server has drained and flushed. */
function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => {
    const force = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.once('exit', (code) => {
      clearTimeout(force);
      resolve(code);
    });
    proc.kill('SIGTERM');
  });
}

describe('serving walkthrough (real keel server and CLI)', { timeout: 60_000 }, () => {
  let dir: string;
  let dataDir: string;
  let server: { url: string; proc: ChildProcess } | undefined;
  let url: string;
  const live = applicants(7, 300);
  /** Requests answered, by route and version, as the walkthrough made them (checked against /metrics). */
  const answered = new Map<string, number>();
  const count = (route: string, version: number) => {
    const k = `${version}/${route}`;
    answered.set(k, (answered.get(k) ?? 0) + 1);
  };

  const cli = async (...args: string[]) => {
    const r = await keel(['--url', url, ...args]);
    expect(r.code, `keel ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const csv = typeof body === 'string';
    const r = await fetch(`${url}${p}`, {
      method,
      headers:
        body === undefined ? headers : { 'content-type': csv ? 'text/csv' : 'application/json', ...headers },
      ...(body === undefined ? {} : { body: csv ? body : JSON.stringify(body) }),
    });
    const text = await r.text();
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on field by field
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers, body: json, text };
  };
  const predict = async (a: Applicant, headers: Record<string, string> = {}) => {
    const r = await call(
      'POST',
      '/api/v1/deployments/credit-api/predict',
      { records: [features(a)] },
      headers,
    );
    expect(r.status, r.text).toBe(200);
    count(r.body.route, r.body.model_version);
    return r.body as {
      request_id: string;
      model_version: number;
      route: string;
      predictions: { label: number; score: number }[];
    };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-serving-'));
    dataDir = path.join(dir, '.keel');
    const rows = applicants(1, 1500);
    const cols = [...FEATURES, 'approved'];
    fs.writeFileSync(
      path.join(dir, 'loans.csv'),
      `${cols.join(',')}\n${rows.map((r) => cols.map((c) => r[c]).join(',')).join('\n')}\n`,
    );
    // Everything through the server, as a user with --url would: one process start-up per command
    // instead of opening the data dir each time.
    server = await startServer(dataDir);
    url = server.url;
    const K = async (...args: string[]) => {
      const r = await keel(['--url', url, ...args]);
      expect(r.code, `keel ${args.join(' ')}: ${r.stderr}`).toBe(0);
    };
    await K('data', 'add', path.join(dir, 'loans.csv'), '--name', 'loans');
    const common = ['--data', 'loans@1', '--target', 'approved', '-e', 'credit', '--register', 'credit'];
    await K('train', 'gbdt', ...common, '--params', 'trees=20,depth=3');
    await K('train', 'logistic', ...common);
    await Promise.all([
      K('models', 'alias', 'set', 'credit@2', 'champion'),
      K('models', 'alias', 'set', 'credit@1', 'challenger'),
    ]);
  }, 90_000);

  afterAll(async () => {
    if (server) await stop(server.proc);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys the champion through the CLI; the server loads it before answering', async () => {
    expect(await cli('deploy', 'create', 'credit-api', '--model', 'credit@champion')).toBe(
      'created deployment credit-api  revision 1: credit@2 (from credit@champion)\n',
    );
    expect((await call('GET', '/v2/health/ready')).body).toEqual({ ready: true });
    expect((await call('GET', '/v2/models/credit-api/ready')).body).toEqual({
      name: 'credit-api',
      ready: true,
    });
    const meta = await call('GET', '/v2/models/credit-api');
    expect(meta.body).toMatchObject({ name: 'credit-api', versions: ['2'], platform: 'onnx_onnxv1' });
    expect(meta.body.inputs.map((i: { name: string }) => i.name)).toEqual(FEATURES);
  });

  it('answers the same applicant identically over OIP v2, MLflow /invocations (JSON and CSV) and /predict', async () => {
    const a = live[0]!;
    const oip = await call('POST', '/v2/models/credit-api/infer', { id: 'walk-1', inputs: oipInputs(a) });
    expect(oip.status, oip.text).toBe(200);
    expect(oip.body).toMatchObject({ model_name: 'credit-api', model_version: '2', id: 'walk-1' });
    expect(oip.headers.get('x-request-id')).toBe('walk-1');
    expect(oip.headers.get('x-keel-route')).toBe('primary');
    count('primary', 2);
    const probs = oip.body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(probs).toMatchObject({ datatype: 'FP32', shape: [1, 2] });
    const p1 = probs.data[1] as number;

    const split = { columns: FEATURES, data: [FEATURES.map((f) => a[f])] };
    const csv = `${FEATURES.join(',')}\n${FEATURES.map((f) => a[f]).join(',')}\n`;
    for (const body of [{ dataframe_split: split }, { dataframe_records: [features(a)] }, csv]) {
      const r = await call('POST', '/deployments/credit-api/invocations', body);
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get('x-keel-model-version')).toBe('2');
      expect(r.headers.get('x-keel-route')).toBe('primary');
      count('primary', 2);
      expect(r.body.predictions).toHaveLength(1);
      expect(Math.abs(r.body.predictions[0].probabilities[1] - p1)).toBeLessThan(1e-6);
    }

    const rec = await predict(a, { 'x-request-id': 'walk-2' });
    expect(rec).toMatchObject({ request_id: 'walk-2', model_version: 2, route: 'primary' });
    const [only] = rec.predictions;
    expect(Math.abs(only!.score - p1)).toBeLessThan(1e-6);
    expect(only!.label).toBe(p1 >= 0.5 ? 1 : 0);
  });

  it('reports errors in each protocol’s own shape', async () => {
    const a = live[1]!;
    const oip = await call('POST', '/v2/models/credit-api/infer', { inputs: oipInputs(a).slice(1) });
    expect(oip.status).toBe(400);
    expect(oip.body.error).toMatch(/missing input\(s\) salary/);
    const unknown = await call('POST', '/v2/models/nope/infer', { inputs: oipInputs(a) });
    expect(unknown.status).toBe(404);
    expect(typeof unknown.body.error).toBe('string');
    const { age: _age, ...noAge } = features(a);
    const mlflow = await call('POST', '/deployments/credit-api/invocations', { dataframe_records: [noAge] });
    expect(mlflow.status).toBe(400);
    expect(mlflow.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(mlflow.body.message).toMatch(/age/);
    const records = await call('POST', '/api/v1/deployments/credit-api/predict', { records: [noAge] });
    expect(records.status).toBe(400);
    expect(records.body.error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'records' });
  });

  const canaryIds: { id: string; label: number }[] = [];

  it('canaries the challenger sticky by customer, promotes and rolls back through the CLI', async () => {
    const t = await cli(
      'deploy',
      'set-traffic',
      'credit-api',
      '--canary',
      'credit@challenger',
      '--weight',
      '30',
      '--sticky-header',
      'x-customer-id',
    );
    expect(t).toContain('canary    credit@1  30% of traffic');
    expect(t).toContain('sticky    by header x-customer-id');

    const versions = new Map<string, Set<number>>();
    const routes = new Map<string, number>();
    for (let i = 0; i < 120; i++) {
      const customer = `customer-${i % 30}`;
      const r = await predict(live[10 + i]!, { 'x-customer-id': customer });
      expect(r.model_version).toBe(r.route === 'canary' ? 1 : 2);
      versions.set(customer, new Set([...(versions.get(customer) ?? []), r.model_version]));
      routes.set(r.route, (routes.get(r.route) ?? 0) + 1);
      canaryIds.push({ id: r.request_id, label: live[10 + i]!.approved as number });
    }
    // Sticky: a customer sees one version; both versions take traffic.
    for (const v of versions.values()) expect(v.size).toBe(1);
    expect(routes.get('canary')).toBeGreaterThan(0);
    expect(routes.get('primary')).toBeGreaterThan(routes.get('canary')!);

    expect(await cli('deploy', 'promote', 'credit-api')).toBe(
      'credit-api: promoted credit@1 to primary (was 2; `keel deploy rollback credit-api` goes back)\n',
    );
    expect(await predict(live[200]!)).toMatchObject({ model_version: 1, route: 'primary' });
    expect(await cli('deploy', 'rollback', 'credit-api')).toBe(
      'credit-api: rolled back to credit@2 (from 1)\n',
    );
    expect(await predict(live[201]!)).toMatchObject({ model_version: 2, route: 'primary' });

    const shown = await cli('deploy', 'show', 'credit-api');
    expect(shown).toContain('previous  credit@1  (rollback target)');
    expect(shown).toContain('status    ready');
    expect(shown).toMatch(/credit@2 {2}ready {2}primary/);
    // The old primary stays loaded as a warm standby: rolling back again needs no load.
    expect(shown).toMatch(/credit@1 {2}standby/);
  });

  it('mirrors requests to a shadow without answering from it', async () => {
    expect(await cli('deploy', 'set-traffic', 'credit-api', '--shadow', 'credit@challenger')).toContain(
      'shadow    credit@1  (mirrored, responses discarded)',
    );
    for (let i = 0; i < 20; i++) {
      expect(await predict(live[210 + i]!)).toMatchObject({ model_version: 2, route: 'primary' });
    }
    let text = '';
    for (let i = 0; i < 50 && !/route="shadow"\} 20\n/.test(text); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      text = (await call('GET', '/metrics')).text;
    }
    expect(text).toContain(
      'keel_serving_requests_total{deployment="credit-api",model="credit",version="1",route="shadow"} 20\n',
    );
  });

  it('joins delayed feedback to the logged predictions by request id', async () => {
    // The log worker writes about once a second: wait until the canary phase's requests are in.
    const wanted = new Set(canaryIds.map((c) => c.id));
    let logged: { requestId: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await call('GET', '/api/v1/deployments/credit-api/predictions?limit=10000');
      expect(r.status, r.text).toBe(200);
      logged = r.body.predictions;
      if ([...wanted].every((id) => logged.some((p) => p.requestId === id))) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const fb = await call('POST', '/api/v1/deployments/credit-api/feedback', [
      ...canaryIds.map((c) => ({ request_id: c.id, label: c.label })),
      { request_id: 'not-served-yet', label: 1, timestamp: '2026-11-26T10:00:00Z' },
    ]);
    expect(fb.status, fb.text).toBe(200);
    expect(fb.body).toEqual({
      accepted: canaryIds.length + 1,
      matched: canaryIds.length,
      unmatched: ['not-served-yet'],
    });
    const labelled = await call(
      'GET',
      '/api/v1/deployments/credit-api/predictions?labelled=true&limit=10000',
    );
    const byId = new Map(canaryIds.map((c) => [c.id, c.label]));
    const rows = labelled.body.predictions as { requestId: string; label: number; route: string }[];
    expect(rows).toHaveLength(canaryIds.length);
    for (const p of rows) expect(p.label).toBe(byId.get(p.requestId));
    expect(new Set(rows.map((p) => p.route))).toEqual(new Set(['primary', 'canary']));

    // Window profiles are merged less often than records are written: checked after shutdown below.
    const windows = await call('GET', '/api/v1/deployments/credit-api/windows');
    expect(windows.status, windows.text).toBe(200);
  });

  it('counts every answered request in /metrics, by version and route, and the route changes', async () => {
    const text = (await call('GET', '/metrics')).text;
    for (const [k, n] of answered) {
      const [version, route] = k.split('/');
      expect(text).toContain(
        `keel_serving_requests_total{deployment="credit-api",model="credit",version="${version}",route="${route}"} ${n}\n`,
      );
    }
    expect(text).toMatch(
      /keel_serving_errors_total\{deployment="credit-api",reason="bad_input",route="primary"\} 3\n/,
    );
    // create, canary, promote, rollback, shadow
    expect(text).toContain('keel_serving_route_changes_total{deployment="credit-api"} 5\n');
    expect(text).toContain('# TYPE keel_serving_request_duration_seconds histogram');
  });

  it('audits every deployment change, and flushes the prediction log when the server stops', async () => {
    const audit = JSON.parse(await cli('audit', 'list', '--object', 'deployment:credit-api', '--json')) as {
      action: string;
    }[];
    expect(audit.map((e) => e.action)).toEqual([
      'deployment.create',
      'deployment.traffic',
      'deployment.promote',
      'deployment.rollback',
      'deployment.traffic',
    ]);
    expect(await stop(server!.proc)).toBe(0);
    const db = new Database(path.join(dataDir, 'keel.db'), { readonly: true });
    try {
      const total = [...answered.values()].reduce((a, b) => a + b, 0);
      const records = db
        .prepare(
          "select count(*) as n from prediction_records where deployment = 'credit-api' and route <> 'shadow'",
        )
        .get() as { n: number };
      expect(records.n).toBe(total);
      // Per window, version and route, the profile counts every row it answered.
      const windows = db
        .prepare(
          "select version, route, sum(rows) as n from prediction_windows where deployment = 'credit-api' group by version, route",
        )
        .all() as { version: number; route: string; n: number }[];
      for (const [k, n] of answered) {
        const [version, route] = k.split('/');
        expect(windows).toContainEqual({ version: Number(version), route, n });
      }
      expect(windows).toContainEqual({ version: 1, route: 'shadow', n: 20 });
      const segments = db
        .prepare("select sum(seen) as seen from prediction_segments where deployment = 'credit-api'")
        .get() as { seen: number | null };
      expect(segments.seen).toBeGreaterThanOrEqual(total);
    } finally {
      db.close();
    }
  });
});
