/**
 * `keel monitor …` and `keel alerts ls|events` with the real binary against a real `keel server`:
 * a logistic model trained on loans by the CLI is deployed, two hours of traffic (the second one
 * drifted) are sent with past event times, and the monitor is created, evaluated and reported on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  keel,
  type Loan,
  loanRecord,
  loans,
  type Server,
  startServer,
  stopServer,
  writeLoansCsv,
} from './harness.js';

const HOUR = 3_600_000;
/** 2025-03-03T00:00:00Z: event times well in the past. */
const T0 = Date.UTC(2025, 2, 3);

describe('keel monitor (real binary and server)', { timeout: 60_000 }, () => {
  let dir: string;
  let server: Server | undefined;
  let url: string;

  const K = (...args: string[]) => keel(['--url', url, ...args]);
  const ok = async (...args: string[]) => {
    const r = await K(...args);
    expect(r.code, `keel ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const fails = async (...args: string[]) => {
    const r = await K(...args);
    expect(r.code, `keel ${args.join(' ')} should fail: ${r.stdout}`).not.toBe(0);
    return r.stderr;
  };

  /** Sends an hour of applicants in batches of 50, spread over the hour on event time. */
  async function replay(hour: number, rows: Loan[]) {
    for (let i = 0; i < rows.length; i += 50) {
      const t = T0 + hour * HOUR + Math.floor((i / rows.length) * (HOUR - 1000));
      const r = await fetch(`${url}/api/v1/deployments/credit-api/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-keel-event-time': new Date(t).toISOString() },
        body: JSON.stringify({ records: rows.slice(i, i + 50).map(loanRecord) }),
      });
      expect(r.status, await r.clone().text()).toBe(200);
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-monitor-'));
    writeLoansCsv(path.join(dir, 'loans.csv'), loans(1, 800));
    server = await startServer(path.join(dir, '.keel'));
    url = server.url;
    await ok('data', 'add', path.join(dir, 'loans.csv'), '--name', 'loans');
    await ok('train', 'logistic', '--data', 'loans@1', '--target', 'approved', '--register', 'credit');
    await ok('deploy', 'create', 'credit-api', '--model', 'credit@1');
  }, 90_000);

  afterAll(async () => {
    if (server) await stopServer(server.proc);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a monitor from flags and prints its summary', async () => {
    const text = await ok(
      'monitor',
      'create',
      'credit-api',
      '--name',
      'hourly',
      '--window',
      '1h',
      '--delay',
      '2m',
      '--drift-share',
      '0.2',
      '--rule',
      'drift_share >= 0.2',
      '--rule',
      'psi(salary) > 0.25',
      '--for',
      '1',
      '--cooldown',
      '6h',
      '--severity',
      'critical',
      '--channel',
      'log',
    );
    expect(text).toContain('created monitor hourly on deployment credit-api');
    expect(text).toContain('window     1h (UTC-aligned), evaluated 2m after a window ends');
    expect(text).toContain('reference  training');
    expect(text).toContain('dataset drift at share ≥ 0.2');
    expect(text).toMatch(/rules +drift_share >= 0.2 +\[critical, cooldown 6h, → log\]/);
    expect(text).toMatch(/psi\(salary\) > 0.25 +\[critical, cooldown 6h, → log\]/);

    const m = JSON.parse(await ok('monitor', 'show', 'hourly', '--json')).monitor;
    expect(m.spec.rules).toEqual([
      expect.objectContaining({ when: 'drift_share >= 0.2', severity: 'critical', cooldownMs: 6 * HOUR }),
      expect.objectContaining({ when: 'psi(salary) > 0.25', channels: ['log'], for: 1 }),
    ]);
    expect(await fails('monitor', 'create', 'credit-api', '--name', 'hourly')).toContain(
      "RESOURCE_ALREADY_EXISTS: Monitor 'hourly' already exists: --replace updates it",
    );
  });

  it('creates a monitor from a YAML file, flags overriding it; names a bad file', async () => {
    const file = path.join(dir, 'monitor.yaml');
    fs.writeFileSync(
      file,
      [
        'name: from-yaml',
        'deployment: credit-api',
        'window: 2h',
        'reference: loans@1',
        'delay: 5m',
        'drift:',
        '  share: 0.3',
        '  columns:',
        '    salary: { method: psi, threshold: 0.2 }',
        '  exclude: [zipcode]',
        'predictionDrift: false',
        'rules:',
        '  - name: drift',
        '    when: drift_share >= 0.3',
        '    for: 2',
        '    cooldown: 6h',
        '    severity: critical',
        '  - when: psi(age) > 0.3',
        '',
      ].join('\n'),
    );
    const m = JSON.parse(await ok('monitor', 'create', '--file', file, '--window', '1h', '--json'));
    expect(m).toMatchObject({ name: 'from-yaml', deployment: 'credit-api' });
    expect(m.spec.window).toMatchObject({ kind: 'time', ms: HOUR });
    expect(m.spec.reference).toMatchObject({ kind: 'dataset', ref: 'loans@1' });
    expect(m.spec.delayMs).toBe(5 * 60_000);
    expect(m.spec.checks.drift).toMatchObject({
      share: 0.3,
      columns: { salary: { method: 'psi', threshold: 0.2 } },
      exclude: ['zipcode'],
    });
    expect(m.spec.checks.predictionDrift).toBe(false);
    expect(m.spec.rules.map((r: { name: string; for: number }) => [r.name, r.for])).toEqual([
      ['drift', 2],
      ['psi(age) > 0.3', 1],
    ]);

    // --replace: the whole spec from the flags and the file again; rules from --rule.
    const replaced = await ok(
      'monitor',
      'create',
      '--file',
      file,
      '--replace',
      '--rule',
      'missing_rate > 0.1',
    );
    expect(replaced).toContain('replaced monitor from-yaml');
    expect(replaced).toContain('window     2h');
    expect(replaced).toContain('missing_rate > 0.1');
    expect(replaced).not.toContain('psi(age)');
    expect(await fails('monitor', 'create', 'other', '--file', file, '--replace')).toContain(
      'watches deployment credit-api, not other',
    );

    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, 'window: 1h\nrules: [unclosed\n');
    expect(await fails('monitor', 'create', 'credit-api', '--file', broken)).toContain(
      `${broken} is not valid YAML`,
    );
    const typo = path.join(dir, 'typo.yaml');
    fs.writeFileSync(typo, 'windw: 1h\n');
    expect(await fails('monitor', 'create', 'credit-api', '--file', typo)).toContain(
      `${typo}: windw is not a monitor key`,
    );
    const missing = path.join(dir, 'nope.yaml');
    expect(await fails('monitor', 'create', 'credit-api', '--file', missing)).toContain(
      `cannot read ${missing}`,
    );
  });

  it('refuses a rule naming an unknown column and a window the log windows cannot tile', async () => {
    expect(
      await fails('monitor', 'create', 'credit-api', '--name', 'bad', '--rule', 'psi(nope) > 0.2'),
    ).toMatch(/INVALID_PARAMETER_VALUE: .*nope/);
    expect(await fails('monitor', 'create', 'credit-api', '--name', 'bad', '--window', '7m')).toContain(
      "window 7m is not a whole multiple of the deployment's prediction-log window (600 s)",
    );
    expect(await fails('monitor', 'create', 'credit-api', '--name', 'bad', '--for', '2')).toContain(
      'apply to alert rules',
    );
    expect(await fails('monitor', 'create', 'nowhere', '--name', 'bad')).toContain('RESOURCE_DOES_NOT_EXIST');
    expect(
      JSON.parse(await ok('monitor', 'ls', '--json')).map((m: { name: string }) => m.name),
    ).not.toContain('bad');
  });

  it('lists, shows and removes monitors', async () => {
    const ls = await ok('monitor', 'ls');
    expect(ls).toMatch(/hourly .*│ credit-api .*│ 1h .*│ training .*│ 2 /);
    expect(ls).toMatch(/from-yaml .*│ loans@1 /);
    // The deployment's default monitor (its model records its training data).
    const names = JSON.parse(await ok('monitor', 'ls', '--deployment', 'credit-api', '--json')).map(
      (m: { name: string }) => m.name,
    );
    expect(names).toEqual(['credit-api', 'from-yaml', 'hourly']);
    expect(await ok('monitor', 'ls', '--deployment', 'elsewhere')).toBe('no monitors\n');
    const shown = await ok('monitor', 'show', 'from-yaml');
    expect(shown).toContain('from-yaml on deployment credit-api');
    expect(shown).toContain('reference  dataset loans@1');
    expect(shown).toContain('runs       none yet');
    expect(shown).toContain('open alerts  none');
    expect(await ok('monitor', 'rm', 'from-yaml')).toBe(
      'deleted monitor from-yaml (its alerts stay as history)\n',
    );
    expect(await fails('monitor', 'show', 'from-yaml')).toContain(
      "RESOURCE_DOES_NOT_EXIST: Monitor 'from-yaml' does not exist",
    );
    expect(await fails('monitor', 'rm', 'from-yaml')).toContain('RESOURCE_DOES_NOT_EXIST');
  });

  it('runs a monitor over past traffic: windows evaluated, the drift alert opens', async () => {
    await replay(0, loans(7, 300));
    await replay(1, loans(8, 300, { shift: true }));
    // The prediction log merges window profiles in the background: wait until both hours are in.
    for (let i = 0; i < 150; i++) {
      const r = await fetch(`${url}/api/v1/deployments/credit-api/windows?from=${T0}&to=${T0 + 2 * HOUR}`);
      const rows = ((await r.json()) as { windows: { rows: number }[] }).windows.reduce(
        (s, w) => s + w.rows,
        0,
      );
      if (rows >= 600) break;
      await new Promise((res) => setTimeout(res, 100));
    }

    // Disabled (from the file), so the server's schedule leaves it alone: only `monitor run` evaluates it.
    const offline = path.join(dir, 'offline.yaml');
    fs.writeFileSync(offline, 'enabled: false\n');
    const created = await ok(
      'monitor',
      'create',
      'credit-api',
      '--file',
      offline,
      '--name',
      'drift-check',
      '--window',
      '1h',
      '--rule',
      'drift_share >= 0.2',
      '--severity',
      'critical',
    );
    expect(created).toContain('created monitor drift-check on deployment credit-api  (disabled)');

    expect(await fails('monitor', 'run', 'drift-check', '--from', 'last tuesday')).toContain(
      "--from must be an ISO-8601 time or epoch milliseconds, got 'last tuesday'",
    );
    expect(await fails('monitor', 'run', 'nope')).toContain("Monitor 'nope' does not exist");
    const out = await ok(
      'monitor',
      'run',
      'drift-check',
      '--from',
      new Date(T0).toISOString(),
      '--to',
      String(T0 + 2 * HOUR),
    );
    expect(out).toContain(
      'monitor drift-check: evaluated 2 window(s) in 2025-03-03 00:00:00 → 2025-03-03 02:00:00 UTC (run ',
    );
    expect(out).toMatch(/2025-03-03 00:00:00 – 01:00:00 UTC {2}primary {2}300 rows/);
    expect(out).toMatch(
      /opened {2}drift_share >= 0.2 {2}primary .*window 2025-03-03 01:00:00 – 02:00:00 UTC/,
    );

    const table = await ok('monitor', 'results', 'drift-check');
    expect(table).toContain('2025-03-03 00:00:00');
    expect(table).toMatch(/2025-03-03 01:00:00 .*│ primary .*│ 300 .*│.*salary/);
    const results = JSON.parse(await ok('monitor', 'results', 'drift-check', '--route', 'primary', '--json'));
    expect(results.map((w: { windowStart: number }) => w.windowStart)).toEqual([T0, T0 + HOUR]);
    expect(results[1].metrics.drift_share).toBeGreaterThanOrEqual(0.2);
    const later = JSON.parse(
      await ok('monitor', 'results', 'drift-check', '--from', String(T0 + HOUR), '--json'),
    );
    expect(later).toHaveLength(1);

    const shown = await ok('monitor', 'show', 'drift-check');
    expect(shown).toMatch(/#\d+ .*manual +succeeded/);
    expect(shown).toContain('drift_share >= 0.2');
  });

  it('writes the HTML report and prints the JSON one', async () => {
    const file = path.join(dir, 'report.html');
    const out = await ok('monitor', 'report', 'drift-check', '--html', file);
    expect(out).toMatch(
      /wrote the report of monitor drift-check to .*report\.html \(\d+(\.\d)? (B|KiB|MiB)\)/,
    );
    expect(fs.readFileSync(file, 'utf8')).toContain('<html');
    const report = JSON.parse(
      await ok(
        'monitor',
        'report',
        'drift-check',
        '--from',
        String(T0),
        '--to',
        String(T0 + 2 * HOUR),
        '--json',
      ),
    );
    expect(report).toMatchObject({ from: T0, to: T0 + 2 * HOUR, routes: ['primary'] });
    expect(report.windows).toHaveLength(2);
    expect(await fails('monitor', 'report', 'drift-check')).toContain('--html <file>');
  });

  it('lists alerts and the alert event feed', async () => {
    const alerts = JSON.parse(await ok('alerts', 'ls', '--monitor', 'drift-check', '--json'));
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts).toContainEqual(
      expect.objectContaining({
        monitor: 'drift-check',
        rule: 'drift_share >= 0.2',
        status: 'open',
        openedWindow: T0 + HOUR,
      }),
    );
    const table = await ok('alerts', 'ls', '--status', 'open');
    expect(table).toMatch(
      /│ open .*│ critical .*│ drift-check .*│ drift_share >= 0.2 .*│ primary .*│ 2025-03-03 01:00:00/,
    );
    expect(
      JSON.parse(await ok('alerts', 'ls', '--status', 'resolved', '--monitor', 'drift-check', '--json')),
    ).toEqual([]);
    expect(await fails('alerts', 'ls', '--status', 'closed')).toContain('Allowed choices are open, resolved');

    const events = JSON.parse(await ok('alerts', 'events', '--monitor', 'drift-check', '--json'));
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({ monitor: 'drift-check', kind: 'opened' });
    const last = events[events.length - 1].id;
    expect(
      JSON.parse(await ok('alerts', 'events', '--after', String(last), '--monitor', 'drift-check', '--json')),
    ).toEqual([]);
    expect(await ok('alerts', 'events', '--monitor', 'drift-check')).toMatch(/│ opened .*│ drift-check /);
  });

  it('works on the local data dir too (in-process), and registers backtest', async () => {
    const L = (...args: string[]) => keel(['--data-dir', path.join(dir, '.keel'), ...args]);
    const ls = await L('monitor', 'ls', '--json');
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).map((m: { name: string }) => m.name)).toContain('drift-check');
    const file = path.join(dir, 'local.html');
    const r = await L('monitor', 'report', 'drift-check', '--html', file);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('<html');

    const help = await K('monitor', 'backtest', '--help');
    expect(help.stdout).toContain('--timestamp-column <col>');
    expect(await fails('monitor', 'backtest', '--data', 'loans@1')).toContain(
      "required option '--deployment <name>' not specified",
    );
  });
});
