// Shared helpers for the benchmarks: a real `keel server` child process on a free port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PG_URL =
  process.env.KEEL_BENCH_POSTGRES_URL ??
  process.env.KEEL_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export const tempDir = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `keel-bench-${name}-`));

/** Environment for a dialect: SQLite in the data dir, or a fresh PostgreSQL schema. */
export function dialectEnv(dialect, tag) {
  if (dialect === 'sqlite') return {};
  const schema = `keel_bench_${tag}_${process.pid}`;
  return { KEEL_DATABASE_URL: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`, schema };
}

export async function dropSchema(schema) {
  if (!schema) return;
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`drop schema if exists ${schema} cascade`);
  await c.end();
}

/** Starts `keel server` on `dataDir` and resolves once /ready answers. */
export async function startServer(dataDir, env = {}) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/keel.js'),
      'server',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/ready`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('server did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

export async function post(url, body) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${url}: ${r.status} ${text}`);
  return JSON.parse(text);
}

export function report(name, value, unit, target, higherIsBetter) {
  const ratio = higherIsBetter ? value / target : target / value;
  const ok = ratio >= 1 ? 'PASS' : 'FAIL';
  console.log(
    `${name}: ${value.toFixed(value >= 100 ? 0 : 2)} ${unit}  (target ${higherIsBetter ? '≥' : '<'} ${target} ${unit}, ratio ${ratio.toFixed(2)}x) ${ok}`,
  );
  return { name, value, unit, target, ratio, ok: ratio >= 1 };
}
