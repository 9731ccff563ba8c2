/**
 * The README's monitoring walkthrough, end to end against a real `keel server`: a model trained on
 * loans is deployed (and monitored by default), a webhook channel and a monitor with rules are
 * created, an hour of normal traffic and an hour of drifted traffic are replayed on event time,
 * labels arrive late, the monitor runs, the drift alert fires, the webhook arrives with a valid
 * signature, late labels open the accuracy alert, and the HTML report is served.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../../src/data/generators/agrawal.js';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');
const FEATURES = ['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan'];
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const HOUR = 3_600_000;
const SECRET = 'walkthrough-secret-123';

type Applicant = Record<string, number>;

function applicants(
  seed: number,
  n: number,
  fn: Parameters<typeof sample>[0]['fn'],
  shift = false,
): Applicant[] {
  return sample({ seed, fn, labelNoise: 0.02 }, n).map((r) => {
    const a: Applicant = {};
    for (const f of FEATURES) a[f] = Math.round((r[f as keyof typeof r] as number) * 100) / 100;
    // The drifted hour: a younger, poorer population.
    if (shift) {
      a.salary = Math.round(a.salary! * 0.4);
      a.age = Math.max(20, a.age! - 15);
    }
    a.approved = Number(r.approved);
    return a;
  });
}

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

async function startServer(dataDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    [BIN, 'server', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'],
    {
      env: { ...process.env, KEEL_DATABASE_URL: '', KEEL_ARTIFACTS: '' },
    },
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

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('monitoring walkthrough (real keel server, webhook receiver)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: { url: string; proc: ChildProcess } | undefined;
  let url: string;
  let hook: http.Server;
  const received: Received[] = [];
  const labels: { request_id: string; row: number; label: number; timestamp: number }[][] = [[], []];

  const cli = async (...args: string[]) => {
    const r = await keel(['--url', url, ...args]);
    expect(r.code, `keel ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${url}${p}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, body: json, text, type: r.headers.get('content-type') };
  };

  /** One hour of traffic in batches of 50 rows, spread over the hour on event time. */
  async function replay(hour: number, rows: Applicant[]) {
    for (let i = 0; i < rows.length; i += 50) {
      const batch = rows.slice(i, i + 50);
      const t = T0 + hour * HOUR + Math.floor((i / rows.length) * (HOUR - 1000));
      const r = await call(
        'POST',
        '/api/v1/deployments/credit-api/predict',
        { records: batch.map((a) => Object.fromEntries(FEATURES.map((f) => [f, a[f]]))) },
        { 'x-keel-event-time': String(t) },
      );
      expect(r.status, r.text).toBe(200);
      batch.forEach((a, row) => {
        labels[hour]!.push({
          request_id: r.body.request_id,
          row,
          label: a.approved!,
          timestamp: t + 6 * HOUR,
        });
      });
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-monitoring-'));
    const cols = [...FEATURES, 'approved'];
    const rows = applicants(1, 2000, 2);
    fs.writeFileSync(
      path.join(dir, 'loans.csv'),
      `${cols.join(',')}\n${rows.map((r) => cols.map((c) => r[c]).join(',')).join('\n')}\n`,
    );
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    server = await startServer(path.join(dir, '.keel'));
    url = server.url;
    await cli('data', 'add', path.join(dir, 'loans.csv'), '--name', 'loans');
    await cli(
      'train',
      'gbdt',
      '--data',
      'loans@1',
      '--target',
      'approved',
      '-e',
      'credit',
      '--register',
      'credit',
      '--params',
      'trees=30,depth=4',
    );
    await cli('deploy', 'create', 'credit-api', '--model', 'credit@1');
  }, 90_000);

  afterAll(async () => {
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((r) => server!.proc.once('exit', r));
    }
    await new Promise((r) => hook.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('monitors a new deployment by default, against the training data', async () => {
    const r = await call('GET', '/api/v1/monitors?deployment=credit-api');
    expect(r.body.monitors.map((m: { name: string }) => m.name)).toEqual(['credit-api']);
    expect(r.body.monitors[0].spec.reference).toEqual({ kind: 'training' });
  });

  it('refuses a monitor whose rule names an unknown feature, or whose window does not parse', async () => {
    const bad = await call('POST', '/api/v1/monitors', {
      name: 'x',
      deployment: 'credit-api',
      rules: [{ when: 'psi(salry) > 0.25' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("unknown feature 'salry'");
    const win = await call('POST', '/api/v1/monitors', {
      name: 'x',
      deployment: 'credit-api',
      window: 'soon',
    });
    expect(win.status).toBe(400);
    expect(win.body.error.message).toContain("window 'soon' does not parse");
    const ch = await call('POST', '/api/v1/alert-channels', {
      name: 'x',
      kind: 'webhook',
      url: 'ftp://example.com/',
    });
    expect(ch.status).toBe(400);
  });

  it('fires the drift alert on the drifted hour and delivers a signed webhook', async () => {
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/keel`;
    expect(
      (
        await call('POST', '/api/v1/alert-channels', {
          name: 'oncall',
          kind: 'webhook',
          url: hookUrl,
          secret: SECRET,
        })
      ).status,
    ).toBe(200);
    const created = await call('POST', '/api/v1/monitors', {
      name: 'loans',
      deployment: 'credit-api',
      window: '1h',
      rules: [
        { name: 'drift', when: 'drift_share >= 0.2', channels: ['oncall'], severity: 'critical' },
        { name: 'salary psi', when: 'psi(salary) > 0.25' },
        { name: 'accuracy', when: 'accuracy < 0.8', channels: ['oncall'] },
      ],
    });
    expect(created.status, created.text).toBe(200);
    await replay(0, applicants(7, 400, 2));
    await replay(1, applicants(8, 400, 5, true));
    await call('POST', '/api/v1/deployments/credit-api/feedback', { feedback: labels[0] });
    // The prediction log writes windows in the background: wait until both hours are there.
    for (let i = 0; i < 100; i++) {
      const w = await call('GET', `/api/v1/deployments/credit-api/windows?from=${T0}&to=${T0 + 2 * HOUR}`);
      const rows = (w.body.windows as { rows: number }[]).reduce((s, x) => s + x.rows, 0);
      const p = await call('GET', `/api/v1/deployments/credit-api/predictions?labelled=true&limit=1`);
      if (rows >= 800 && p.body.predictions.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const run = await call('POST', '/api/v1/monitors/loans/runs', { from: T0, to: T0 + 2 * HOUR });
    expect(run.status, run.text).toBe(200);
    expect(run.body.windows).toBe(2);
    const opened = run.body.events.filter((e: { type: string }) => e.type === 'alert.opened');
    expect(opened.map((e: { alert: { rule: string } }) => e.alert.rule).sort()).toEqual([
      'drift',
      'salary psi',
    ]);
    for (const e of opened) expect(e.window.start).toBe(T0 + HOUR);

    const results = (await call('GET', '/api/v1/monitors/loans/results')).body.results;
    expect(results[0].metrics.drift_share).toBeLessThan(0.2);
    expect(results[1].metrics['psi(salary)']).toBeGreaterThan(0.25);
    // Labels for hour 0 only: realised accuracy there, estimated accuracy for both.
    expect(results[0].metrics.accuracy).toBeGreaterThan(0.85);
    expect(results[0].metrics.label_coverage).toBe(1);
    expect(results[1].metrics.accuracy ?? null).toBeNull();
    expect(results[1].metrics.estimated_accuracy).toBeGreaterThan(0.5);
    expect(Math.abs(results[0].metrics.estimated_accuracy - results[0].metrics.accuracy)).toBeLessThan(0.08);

    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(1);
    const got = received[0]!;
    const expected = `sha256=${createHmac('sha256', SECRET).update(got.body).digest('hex')}`;
    expect(got.headers['x-keel-signature']).toBe(expected);
    expect(got.headers['x-keel-event']).toBe('alert.opened');
    const payload = JSON.parse(got.body);
    expect(payload).toMatchObject({
      type: 'alert.opened',
      monitor: 'loans',
      deployment: 'credit-api',
      model: 'credit',
    });
    expect(payload.alert).toMatchObject({
      rule: 'drift',
      severity: 'critical',
      status: 'open',
      route: 'primary',
    });
  });

  it('re-running a window replaces its result; late labels open the accuracy alert', async () => {
    const again = await call('POST', '/api/v1/monitors/loans/runs', { from: T0, to: T0 + 2 * HOUR });
    expect(again.body.events).toEqual([]);
    expect((await call('GET', '/api/v1/monitors/loans/results')).body.results).toHaveLength(2);
    // Hour 1's labels arrive late, and under a new labelling rule (concept drift).
    await call('POST', '/api/v1/deployments/credit-api/feedback', { feedback: labels[1] });
    const late = await call('POST', '/api/v1/monitors/loans/runs', { from: T0 + HOUR, to: T0 + 2 * HOUR });
    const rules = late.body.events.map(
      (e: { type: string; alert: { rule: string } }) => `${e.type} ${e.alert.rule}`,
    );
    expect(rules).toEqual(['alert.opened accuracy']);
    const results = (await call('GET', '/api/v1/monitors/loans/results')).body.results;
    expect(results[1].metrics.accuracy).toBeLessThan(0.8);
    const alerts = (await call('GET', '/api/v1/alerts?monitor=loans&status=open')).body.alerts;
    expect(alerts.map((a: { rule: string }) => a.rule).sort()).toEqual(['accuracy', 'drift', 'salary psi']);
  });

  it('backtests a labelled dataset on event time: prints when the alert would have fired', async () => {
    const cols = ['ts', ...FEATURES, 'approved'];
    const days = [applicants(11, 300, 2), applicants(12, 300, 2), applicants(13, 300, 5, true)];
    const lines = days.flatMap((rows, day) =>
      rows.map((r, i) =>
        [new Date(T0 + day * 24 * HOUR + i * 1000).toISOString(), ...cols.slice(1).map((c) => r[c])].join(
          ',',
        ),
      ),
    );
    fs.writeFileSync(path.join(dir, 'history.csv'), `${cols.join(',')}\n${lines.join('\n')}\n`);
    await cli('data', 'add', path.join(dir, 'history.csv'), '--name', 'history');
    const out = await cli(
      'monitor',
      'backtest',
      '--deployment',
      'credit-api',
      '--data',
      'history@1',
      '--timestamp-column',
      'ts',
      '--window',
      '1d',
      '--rule',
      'psi(salary) > 0.25',
      '--rule',
      'accuracy < 0.8',
      '--json',
    );
    const r = JSON.parse(out);
    expect(r.windows).toHaveLength(3);
    expect(r.alerts.map((a: { rule: string; openedWindow: number }) => [a.rule, a.openedWindow])).toEqual([
      ['accuracy < 0.8', T0 + 48 * HOUR],
      ['psi(salary) > 0.25', T0 + 48 * HOUR],
    ]);
    // Nothing was written: no results for the replayed days (the server's schedule only sees logged traffic).
    const stored = await call('GET', `/api/v1/monitors/credit-api/results?from=${T0 + 24 * HOUR}`);
    expect(stored.body.results).toEqual([]);
    const text = await cli(
      'monitor',
      'backtest',
      '--deployment',
      'credit-api',
      '--data',
      'history@1',
      '--timestamp-column',
      'ts',
      '--window',
      '1d',
      '--rule',
      'psi(salary) > 0.25',
    );
    expect(text).toContain('1 alert(s) would have fired');
    expect(text).toContain('2026-01-07T00:00:00Z');
  });

  it('evaluates the default monitor on its own schedule (closed windows, event time)', async () => {
    // Wait for a scheduled run to finish: it is recorded as `running` while it evaluates.
    const finished = (runs: { trigger: string; status: string }[]) =>
      runs.some((r) => r.trigger === 'schedule' && r.status !== 'running');
    let runs: { trigger: string; status: string }[] = [];
    for (let i = 0; i < 300 && !finished(runs); i++) {
      runs = (await call('GET', '/api/v1/monitors/credit-api/runs')).body.runs;
      if (!finished(runs)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(runs.find((r) => r.trigger === 'schedule' && r.status !== 'running')?.status).toBe('succeeded');
    const results = (await call('GET', '/api/v1/monitors/credit-api/results')).body.results;
    expect(results.map((r: { windowStart: number }) => r.windowStart)).toEqual([T0]);
  });

  it('serves the HTML report and the alert event feed', async () => {
    const html = await call(
      'GET',
      `/api/v1/monitors/loans/report?from=${T0}&to=${T0 + 2 * HOUR}&format=html`,
    );
    expect(html.status).toBe(200);
    expect(html.type).toContain('text/html');
    expect(html.text).toContain('<html');
    expect(html.text).toContain('salary');
    const feed = (await call('GET', '/api/v1/alert-events?after=0&monitor=loans')).body.events;
    expect(feed.map((e: { kind: string }) => e.kind)).toEqual(['opened', 'opened', 'opened']);
    const after = (await call('GET', `/api/v1/alert-events?after=${feed[1].id}&monitor=loans`)).body.events;
    expect(after).toHaveLength(1);
  });
});
