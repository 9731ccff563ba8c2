/**
 * Shared helpers for the MLflow REST conformance suites: a tiny client over `app.inject()`,
 * error assertions in MLflow's `{error_code, message}` shape, and a database snapshot used to
 * prove that a rejected request wrote nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Context } from '../../src/context.js';
import type { Schema } from '../../src/store/schema.js';

/** The public API prefix and the UI's ajax alias. */
export const API = '/api/2.0/mlflow';
export const AJAX = '/ajax-api/2.0/mlflow';
export const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
export const AJAX_PROXY = '/ajax-api/2.0/mlflow-artifacts/artifacts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape the assertions check
export type Json = any;

export interface Res {
  status: number;
  body: Json;
  raw: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export type Query = Record<string, string | number | (string | number)[] | undefined>;

/** A query string with repeated keys for arrays (how MLflow GET RPCs take repeated fields). */
export function qs(query: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) p.append(k, String(item));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

const parse = (raw: string): Json => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

export interface Client {
  base: string;
  post(path: string, body: unknown): Promise<Res>;
  get(path: string, query?: Query): Promise<Res>;
  /** POST that must succeed; returns the JSON body. */
  ok(path: string, body: unknown): Promise<Json>;
  /** GET that must succeed; returns the JSON body. */
  okGet(path: string, query?: Query): Promise<Json>;
}

export function client(app: FastifyInstance, base = API): Client {
  const post = async (path: string, body: unknown): Promise<Res> => {
    const r = await app.inject({
      method: 'POST',
      url: base + path,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return { status: r.statusCode, body: parse(r.body), raw: r.body, headers: r.headers };
  };
  const get = async (path: string, query?: Query): Promise<Res> => {
    const r = await app.inject({ method: 'GET', url: base + path + qs(query) });
    return { status: r.statusCode, body: parse(r.body), raw: r.body, headers: r.headers };
  };
  const must = (what: string, r: Res): Json => {
    expect(r.status, `${what} → ${r.status} ${r.raw.slice(0, 500)}`).toBe(200);
    return r.body;
  };
  return {
    base,
    post,
    get,
    ok: async (path, body) => must(`POST ${path}`, await post(path, body)),
    okGet: async (path, query) => must(`GET ${path}`, await get(path, query)),
  };
}

/** Asserts an MLflow-style error: exact status, exact code, only `error_code` and `message`. */
export function expectError(r: Res, status: number, code: string, ...fragments: string[]): void {
  expect(r.status, r.raw.slice(0, 500)).toBe(status);
  expect(r.body).toEqual({ error_code: code, message: expect.any(String) });
  for (const f of fragments) expect(r.body.message as string).toContain(f);
}

/** Every table of the store, so a snapshot cannot miss a write. */
export const TABLES: (keyof Schema)[] = [
  'experiments',
  'experiment_tags',
  'runs',
  'params',
  'run_tags',
  'metrics',
  'latest_metrics',
  'datasets',
  'run_inputs',
  'artifact_files',
  'api_tokens',
  'audit_log',
  'audit_head',
];

export interface Snapshot {
  counts: Record<string, number>;
  /** Sorted JSON rows per table: catches in-place updates that leave row counts unchanged. */
  rows: Record<string, string[]>;
}

export async function snapshot(ctx: Context): Promise<Snapshot> {
  const counts: Record<string, number> = {};
  const rows: Record<string, string[]> = {};
  for (const t of TABLES) {
    const all = (await ctx.store.db.selectFrom(t).selectAll().execute()) as unknown[];
    counts[t] = all.length;
    rows[t] = all.map((r) => JSON.stringify(r)).sort();
  }
  return { counts, rows };
}

export async function rowCount(ctx: Context, table: keyof Schema): Promise<number> {
  const r = await ctx.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Starts the app on an ephemeral loopback port (for requests `inject()` would normalise). */
export async function listen(app: FastifyInstance): Promise<number> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

/**
 * A request with the path sent byte-for-byte (no `..` or `%2e%2e` normalisation, unlike
 * `inject()`, whose WHATWG URL parsing resolves dot segments before routing).
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: parse(raw), raw, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates an experiment and returns its id. */
export async function createExperiment(
  c: Client,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const b = await c.ok('/experiments/create', { name, ...extra });
  expect(typeof b.experiment_id).toBe('string');
  return b.experiment_id as string;
}

/** Creates a run and returns its full wire object. */
export async function createRun(
  c: Client,
  experimentId: string,
  extra: Record<string, unknown> = {},
): Promise<Json> {
  const b = await c.ok('/runs/create', { experiment_id: experimentId, ...extra });
  return b.run;
}

let unique = 0;
/** A name unique within the test process. */
export const uniq = (prefix: string): string => `${prefix}-${process.pid}-${++unique}`;
