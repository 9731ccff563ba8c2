/**
 * Shared by CLI end-to-end suites: the real `keel` binary (built dist/), a real `keel server`
 * child process on a fresh data dir, and loan applicants to train on and send as predictions.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type AgrawalFunction, sample } from '../../src/data/generators/agrawal.js';

const exec = promisify(execFile);
export const BIN = path.resolve('bin/keel.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `keel <args>` with no KEEL_* settings from the environment; never throws on a non-zero exit. */
export async function keel(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, KEEL_URL: '', KEEL_TOKEN: '', KEEL_DATA_DIR: '', NO_COLOR: '1', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

export interface Server {
  url: string;
  proc: ChildProcess;
}

/** `keel server --port 0` as a child process; resolves with its URL once it listens. */
export async function startServer(dataDir: string): Promise<Server> {
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

/** SIGTERM, then the exit code once the server has drained and flushed (SIGKILL after 15 s). */
export function stopServer(proc: ChildProcess): Promise<number | null> {
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

/** The nine numeric Agrawal attributes a loans model is trained on. */
export const LOAN_FEATURES = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
] as const;

export type Loan = Record<string, number>;

/** Loan applicants with the 0/1 `approved` label; `shift` makes a younger, poorer population. */
export function loans(seed: number, n: number, opts: { fn?: AgrawalFunction; shift?: boolean } = {}): Loan[] {
  return sample({ seed, fn: opts.fn ?? 2, labelNoise: 0.02 }, n).map((r) => {
    const a: Loan = {};
    for (const f of LOAN_FEATURES) a[f] = Math.round(r[f] * 100) / 100;
    if (opts.shift) {
      a.salary = Math.round(a.salary! * 0.4);
      a.age = Math.max(20, a.age! - 15);
    }
    a.approved = Number(r.approved);
    return a;
  });
}

/** Writes applicants as CSV (features, then `approved`). */
export function writeLoansCsv(file: string, rows: Loan[]): void {
  const cols = [...LOAN_FEATURES, 'approved'];
  fs.writeFileSync(
    file,
    `${cols.join(',')}\n${rows.map((r) => cols.map((c) => r[c]).join(',')).join('\n')}\n`,
  );
}

/** The features of an applicant, as a prediction record. */
export const loanRecord = (a: Loan): Loan => Object.fromEntries(LOAN_FEATURES.map((f) => [f, a[f]!]));
