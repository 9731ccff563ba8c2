import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `keel` binary (built by `npm test`'s pretest) and captures its output. */
async function keel(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, KEEL_URL: '', KEEL_TOKEN: '', KEEL_DATA_DIR: '', ...env },
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

describe('keel CLI (real binary)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help lists the command groups', async () => {
    const r = await keel(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['server', 'experiments', 'runs', 'token', 'audit']) expect(r.stdout).toContain(c);
  });

  it('processes starting together on a fresh data dir all migrate safely', async () => {
    const fresh = path.join(dir, 'concurrent');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => keel(['--data-dir', fresh, 'experiments', 'ls', '--json'])),
    );
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).map((e: { name: string }) => e.name)).toEqual(['Default']);
    }
  });

  it('local mode and a server on the same data dir see the same data', async () => {
    const data = path.join(dir, 'shared');
    const created = await keel([
      '--data-dir',
      data,
      'experiments',
      'create',
      'credit',
      '--tag',
      'team=risk',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const expId = JSON.parse(created.stdout).experimentId as string;

    const { url, proc } = await startServer(data);
    try {
      // The server sees what the CLI wrote locally…
      const ls = await keel(['--url', url, 'experiments', 'ls', '--json']);
      expect(
        JSON.parse(ls.stdout)
          .map((e: { name: string }) => e.name)
          .sort(),
      ).toEqual(['Default', 'credit']);
      // …and an MLflow client's writes through the server are visible to local CLI commands.
      const post = (p: string, body: unknown) =>
        fetch(`${url}/api/2.0/mlflow${p}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.json() as Promise<{ run: { info: { run_id: string } } }>);
      const runs: string[] = [];
      for (const [name, lr, acc] of [
        ['a', '0.1', 0.81],
        ['b', '0.01', 0.92],
      ] as const) {
        const r = await post('/runs/create', { experiment_id: expId, run_name: name });
        const runId = r.run.info.run_id;
        await post('/runs/log-batch', {
          run_id: runId,
          params: [{ key: 'lr', value: lr }],
          metrics: [{ key: 'acc', value: acc, timestamp: 1, step: 0 }],
        });
        runs.push(runId);
      }
      const local = await keel([
        '--data-dir',
        data,
        'runs',
        'ls',
        '-e',
        'credit',
        '--order-by',
        'metrics.acc DESC',
        '--json',
      ]);
      expect(local.code).toBe(0);
      expect(JSON.parse(local.stdout).map((r: { info: { runName: string } }) => r.info.runName)).toEqual([
        'b',
        'a',
      ]);

      const cmp = await keel(['--url', url, 'runs', 'compare', ...runs, '--json']);
      expect(JSON.parse(cmp.stdout)).toMatchObject({
        params: { lr: ['0.1', '0.01'] },
        metrics: { acc: [0.81, 0.92] },
      });
      const table = await keel(['--url', url, 'runs', 'compare', ...runs]);
      expect(table.stdout).toMatch(/param lr/);
      expect(table.stdout).toContain('0.92');

      const show = await keel(['--data-dir', data, 'runs', 'show', runs[0]!]);
      expect(show.stdout).toContain(`run ${runs[0]}`);
      expect(show.stdout).toMatch(/acc\s*│\s*0\.81/);

      const filtered = await keel([
        '--url',
        url,
        'runs',
        'ls',
        '-e',
        expId,
        '--filter',
        "params.lr = '0.1'",
        '--json',
      ]);
      expect(JSON.parse(filtered.stdout)).toHaveLength(1);
    } finally {
      proc.kill('SIGTERM');
    }
  });

  it('tokens: created once, then required by the server; audit shows who did what', async () => {
    const data = path.join(dir, 'tokens');
    const made = await keel(['--data-dir', data, 'token', 'create', '--name', 'ci', '--role', 'editor']);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^keel_/);
    expect(made.stderr).toContain('shown only once');

    const { url, proc } = await startServer(data);
    try {
      const denied = await keel(['--url', url, 'experiments', 'ls']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/UNAUTHENTICATED/);
      const ok = await keel(['--url', url, 'experiments', 'create', 'by-ci'], { KEEL_TOKEN: token });
      expect(ok.code).toBe(0);
      const forbidden = await keel(['--url', url, 'token', 'ls'], { KEEL_TOKEN: token });
      expect(forbidden.code).toBe(1);
      expect(forbidden.stderr).toMatch(/PERMISSION_DENIED/);
    } finally {
      proc.kill('SIGTERM');
    }
    const audit = await keel(['--data-dir', data, 'audit', 'list', '--json']);
    const entries = JSON.parse(audit.stdout) as { actor: string; action: string }[];
    expect(entries.map((e) => [e.actor, e.action])).toEqual([
      ['local', 'token.create'],
      ['ci', 'experiment.create'],
    ]);
    const tokens = await keel(['--data-dir', data, 'token', 'ls', '--json']);
    expect(JSON.stringify(JSON.parse(tokens.stdout))).not.toContain(token);
  });

  it('audit verify exits 1 and names the entry after tampering', async () => {
    const data = path.join(dir, 'tamper');
    await keel(['--data-dir', data, 'experiments', 'create', 'one']);
    await keel(['--data-dir', data, 'experiments', 'create', 'two']);
    expect((await keel(['--data-dir', data, 'audit', 'verify'])).stdout).toMatch(/OK: 2 entries/);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(data, 'keel.db'));
    db.prepare("update audit_log set actor = 'mallory' where seq = 1").run();
    db.close();
    const r = await keel(['--data-dir', data, 'audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BROKEN at entry 1/);
  });

  it('bad input: a clear message and a non-zero exit, nothing written', async () => {
    const data = path.join(dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['experiments', 'create', 'x', '--tag', 'novalue'], /--tag expects key=value/],
      [['runs', 'show', 'doesnotexist'], /RESOURCE_DOES_NOT_EXIST/],
      [['runs', 'ls', '-e', 'nope'], /RESOURCE_DOES_NOT_EXIST/],
      [['runs', 'ls', '--max', 'zero'], /--max must be a positive integer/],
      [['runs', 'ls', '--filter', 'metrics.acc >> 1'], /INVALID_PARAMETER_VALUE/],
      [['token', 'create', '--name', 'bad name!'], /Invalid token name/],
    ];
    for (const [args, msg] of cases) {
      const r = await keel(['--data-dir', data, ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    const bad = await keel(['server', '--data-dir', data, '--port', 'abc']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--port/);
    const env = await keel(['--data-dir', data, 'experiments', 'ls'], { KEEL_DATABASE_URL: 'mysql://x' });
    expect(env.code).not.toBe(0);
    expect(env.stderr).toMatch(/KEEL_DATABASE_URL/);
    const ls = await keel(['--data-dir', data, 'experiments', 'ls', '--json']);
    expect(JSON.parse(ls.stdout).map((e: { name: string }) => e.name)).toEqual(['Default']);
    expect((await keel(['--data-dir', data, 'audit', 'list', '--json'])).stdout.trim()).toBe('[]');
  });
});
