import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../../src/data/generators/agrawal.js';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');
const COLS = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
  'approved',
] as const;

async function keel(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, KEEL_URL: '', KEEL_TOKEN: '', KEEL_DATA_DIR: '', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function writeCsv(file: string, rows: ReturnType<typeof sample>, extra = ''): void {
  const lines = rows.map((r) => COLS.map((c) => (c === 'elevel' ? `e${r[c]}` : r[c])).join(','));
  fs.writeFileSync(file, `${COLS.join(',')}\n${lines.join('\n')}\n${extra}`);
}

describe('keel data (real binary)', () => {
  let dir: string;
  let data: string;
  let K: (...a: string[]) => ReturnType<typeof keel>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-data-'));
    data = path.join(dir, '.keel');
    K = (...a) => keel(['--data-dir', data, ...a]);
    writeCsv(path.join(dir, 'm1.csv'), sample({ seed: 1, fn: 2 }, 3000));
    writeCsv(
      path.join(dir, 'm5.csv'),
      sample({ seed: 5, fn: 5, ageShift: 15, salaryScale: 0.7 }, 3000),
      '1,2,3\n',
    );
    fs.mkdirSync(path.join(dir, 'images'));
    fs.writeFileSync(path.join(dir, 'images', 'a.bin'), Buffer.alloc(1000, 1));
    fs.writeFileSync(path.join(dir, 'images', 'b.bin'), Buffer.alloc(1000, 2));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const blobCount = () =>
    fs
      .readdirSync(path.join(data, 'artifacts', 'sha256'), { recursive: true })
      .filter((p) => String(p).length > 20).length;

  it('adds versions, deduplicates content, counts malformed rows, and shows the profile', async () => {
    const first = await K(
      'data',
      'add',
      path.join(dir, 'm1.csv'),
      '--name',
      'loans',
      '-m',
      'months 1-2',
      '--json',
    );
    expect(first.code, first.stderr).toBe(0);
    const v1 = JSON.parse(first.stdout);
    expect(v1).toMatchObject({
      created: true,
      version: { ref: 'loans@1', rows: 3000, badRows: 0, fileCount: 1 },
    });
    expect(v1.version.schema.columns.find((c: { name: string }) => c.name === 'elevel').type).toBe(
      'categorical',
    );

    const again = await K('data', 'add', path.join(dir, 'm1.csv'), '--name', 'loans');
    expect(again.stdout).toMatch(/unchanged: identical content is already loans@1/);
    expect(blobCount()).toBe(1);

    const second = await K('data', 'add', path.join(dir, 'm5.csv'), '--name', 'loans', '-m', 'month 5');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/loans@2 created/);
    expect(second.stderr).toMatch(/1 malformed row\(s\) skipped/);
    expect(second.stderr).toMatch(/m5\.csv:3002: /);

    const show = await K('data', 'show', 'loans@2', '--json');
    const v2 = JSON.parse(show.stdout);
    expect(v2).toMatchObject({ ref: 'loans@2', rows: 3000, badRows: 1, message: 'month 5' });
    const age = v2.profile.columns.find((c: { name: string }) => c.name === 'age');
    expect(age.moments.min).toBeGreaterThanOrEqual(35);
    // Added after loans@1, so it is profiled on loans@1's histogram edges.
    expect(age.histogram.edges).toEqual(
      v1.version.profile.columns.find((c: { name: string }) => c.name === 'age').histogram.edges,
    );
    const prefix = v2.contentHash.slice(0, 7);
    expect(JSON.parse((await K('data', 'show', `loans@${prefix}`, '--json')).stdout).ref).toBe('loans@2');
    expect((await K('data', 'ls')).stdout).toMatch(/loans@2[\s\S]*loans@1/);
  });

  it('a directory of non-tabular files is stored without a profile; get verifies and restores it', async () => {
    const r = await K('data', 'add', path.join(dir, 'images'), '--name', 'images', '--json');
    expect(JSON.parse(r.stdout).version).toMatchObject({ fileCount: 2, rows: 0, profile: null });
    const out = path.join(dir, 'restored');
    const got = await K('data', 'get', 'images@1', out);
    expect(got.code, got.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'a.bin')).equals(Buffer.alloc(1000, 1))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'b.bin')).equals(Buffer.alloc(1000, 2))).toBe(true);
  });

  it('diff reports per-column drift as JSON and as a self-contained HTML report', async () => {
    const html = path.join(dir, 'report.html');
    const r = await K('data', 'diff', 'loans@1', 'loans@2', '--json', '--html', html);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    const age = d.columns.find((c: { column: string }) => c.column === 'age');
    expect(age).toMatchObject({ test: 'wasserstein', drifted: true, threshold: 0.1 });
    const elevel = d.columns.find((c: { column: string }) => c.column === 'elevel');
    expect(elevel).toMatchObject({ test: 'jensenshannon', drifted: false });
    for (const c of d.columns)
      expect(Object.keys(c).sort()).toEqual([
        'approximate',
        'column',
        'drifted',
        'pValue',
        'statistic',
        'test',
        'threshold',
        'type',
      ]);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/<svg/);
    expect(page).toContain('loans@1');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('suggest writes expectations the reference passes and the drifted version fails (exit 1)', async () => {
    const exp = path.join(dir, 'exp.yaml');
    expect((await K('data', 'suggest', 'loans@1', '-o', exp)).code).toBe(0);
    const ok = await K('data', 'check', 'loans@1', '--expect', exp);
    expect(ok.code, ok.stdout).toBe(0);
    const bad = await K('data', 'check', 'loans@2', '--expect', exp, '--json');
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.success).toBe(false);
    expect(
      report.checks.find(
        (c: { check: string; column?: string }) => c.check === 'in_range' && c.column === 'age',
      ).success,
    ).toBe(false);
  });

  it('bad input: a clear message, a non-zero exit, and no version or blob recorded', async () => {
    const blobs = blobCount();
    const badSchema = path.join(dir, 'schema.yaml');
    fs.writeFileSync(badSchema, 'columns:\n  - name: age\n    type: number\n');
    const truncated = path.join(dir, 'cut.parquet');
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const pq = Buffer.from(
      parquetWriteBuffer({ columnData: [{ name: 'a', data: [1, 2, 3], type: 'INT32' }] }),
    );
    fs.writeFileSync(truncated, pq.subarray(0, pq.length - 20));
    const badExp = path.join(dir, 'bad-exp.yaml');
    fs.writeFileSync(badExp, 'expectations:\n  - check: in_rnage\n    column: age\n');
    const cases: [string[], RegExp][] = [
      [['data', 'add', path.join(dir, 'nope.csv'), '--name', 'x'], /nope\.csv: no such file/],
      [['data', 'add', path.join(dir, 'm5.csv'), '--name', 'strict', '--strict'], /m5\.csv: line 3002/],
      [['data', 'add', path.join(dir, 'm1.csv'), '--name', 'x', '--schema', badSchema], /schema\.yaml/],
      [['data', 'add', path.join(dir, 'm1.csv'), '--name', 'bad name'], /Invalid dataset name/],
      [['data', 'add', truncated, '--name', 'cut'], /cut\.parquet: not a readable Parquet file/],
      [['data', 'check', 'loans@1', '--expect', badExp], /bad-exp\.yaml:2.*in_rnage/],
      [['data', 'show', 'loans@9'], /RESOURCE_DOES_NOT_EXIST/],
    ];
    for (const [args, msg] of cases) {
      const r = await K(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    const names = JSON.parse((await K('data', 'ls', '--json')).stdout).map((v: { ref: string }) => v.ref);
    expect(names.sort()).toEqual(['images@1', 'loans@1', 'loans@2']);
    expect(blobCount()).toBe(blobs);
  });

  it('against a server (--url): add uploads only missing blobs and the local CLI sees the result', async () => {
    const proc = spawn(process.execPath, [
      BIN,
      'server',
      '--data-dir',
      data,
      '--port',
      '0',
      '--log-level',
      'warn',
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      proc.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
    });
    try {
      const file = path.join(dir, 'm9.csv');
      writeCsv(file, sample({ seed: 9, fn: 2 }, 500));
      const r = await keel([
        '--url',
        url,
        '--data-dir',
        path.join(dir, 'client'),
        'data',
        'add',
        file,
        '--name',
        'loans',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).version.ref).toBe('loans@3');
      expect(JSON.parse((await keel(['--url', url, 'data', 'show', 'loans', '--json'])).stdout).rows).toBe(
        500,
      );
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    expect(JSON.parse((await K('data', 'show', 'loans@3', '--json')).stdout).rows).toBe(500);
  });
});
