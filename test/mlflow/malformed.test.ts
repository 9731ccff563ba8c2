/**
 * Malformed requests against EVERY MLflow tracking route (POST and GET forms, the artifact proxy
 * and the /ajax-api alias): invalid JSON, non-object bodies, wrong types, missing fields,
 * over-long keys/values, unknown ids, wrong Content-Type and bodies over the size limit.
 *
 * Each case asserts: an exact 4xx status (never 500), a body of exactly `{error_code, message}`
 * with a stable code, a message naming the offending field where there is one, and that NOTHING
 * was written (a snapshot of every table, rows and counts, before and after).
 *
 * Table-driven: add a row to CASES (or a route to ROUTES for the generic malformations).
 * Placeholders in paths, queries and bodies ($EXP, $RUN, …) are replaced by fixture ids.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { DIALECTS, testApp } from '../helpers/context.js';
import {
  AJAX,
  AJAX_PROXY,
  API,
  client,
  type Json,
  listen,
  PROXY,
  type Query,
  qs,
  type Res,
  rawRequest,
  type Snapshot,
  snapshot,
} from './client.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Code =
  | 'INVALID_PARAMETER_VALUE'
  | 'BAD_REQUEST'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'PAYLOAD_TOO_LARGE';

interface Case {
  /** A short note shown in the test name. */
  what?: string;
  method: Method;
  /** Relative to `base` (default /api/2.0/mlflow) unless it starts with '/'+'api' or '/ajax-api'. */
  path: string;
  base?: string;
  /** Sent JSON-encoded with Content-Type: application/json (unless `contentType` says otherwise). */
  json?: unknown;
  /** Sent as-is. */
  raw?: string;
  /** null: no Content-Type header at all. */
  contentType?: string | null;
  query?: Query;
  /** inject (default); http: a real socket, path sent verbatim; limited: the app with a 64 KiB bodyLimit. */
  transport?: 'inject' | 'http' | 'limited';
  status: number;
  code: Code;
  /** A fragment the message must contain: the offending field, id or limit. */
  field?: string;
}

const NO_RUN = 'f'.repeat(32);
const NO_EXP = '999999999';
const BODY_LIMIT = 64 * 1024;
const k251 = 'k'.repeat(251);

/** An MLmodel as JSON with the fields MLflow's log-model handler requires. */
const MLMODEL = JSON.stringify({
  artifact_path: 'model',
  flavors: { python_function: { loader_module: 'mlflow.sklearn' } },
  run_id: '$RUN',
  utc_time_created: '2024-01-01 00:00:00.000000',
});
const DATASET = { name: 'ds', digest: 'd1', source_type: 'local', source: '{"uri": "/tmp/x"}' };

interface Fixtures {
  EXP: string;
  EXPNAME: string;
  DELEXP: string;
  RUN: string;
  DELRUN: string;
  ART: string;
}

let fresh = 0;
/** Replaces $PLACEHOLDERS in any JSON-able value. $NEWNAME is unique per call. */
function fill<T>(value: T, f: Fixtures): T {
  if (value === undefined) return value;
  const s = JSON.stringify(value)
    .replaceAll('$NEWNAME', `fresh-name-${++fresh}`)
    .replaceAll('$EXPNAME', f.EXPNAME)
    .replaceAll('$DELEXP', f.DELEXP)
    .replaceAll('$EXP', f.EXP)
    .replaceAll('$DELRUN', f.DELRUN)
    .replaceAll('$RUN', f.RUN)
    .replaceAll('$ART', f.ART);
  return JSON.parse(s) as T;
}

/**
 * Every POST tracking route with a valid body. Each gets the generic malformations; the
 * `controls` suite proves each valid body really succeeds (and writes, where `writes`), so a
 * rejected variant that wrote anything would be caught.
 */
const ROUTES: { path: string; body: Record<string, unknown>; writes: boolean }[] = [
  { path: '/experiments/create', body: { name: '$NEWNAME', tags: [{ key: 'a', value: 'b' }] }, writes: true },
  { path: '/experiments/search', body: { filter: "name = '$EXPNAME'", max_results: 10 }, writes: false },
  { path: '/experiments/delete', body: { experiment_id: '$EXP' }, writes: true },
  { path: '/experiments/restore', body: { experiment_id: '$DELEXP' }, writes: true },
  { path: '/experiments/update', body: { experiment_id: '$EXP', new_name: '$NEWNAME' }, writes: true },
  {
    path: '/experiments/set-experiment-tag',
    body: { experiment_id: '$EXP', key: 'new', value: 'v' },
    writes: true,
  },
  { path: '/experiments/delete-experiment-tag', body: { experiment_id: '$EXP', key: 'etag' }, writes: true },
  { path: '/runs/create', body: { experiment_id: '$EXP', run_name: 'fresh', start_time: 5 }, writes: true },
  { path: '/runs/update', body: { run_id: '$RUN', status: 'FINISHED', end_time: 9 }, writes: true },
  { path: '/runs/delete', body: { run_id: '$RUN' }, writes: true },
  { path: '/runs/restore', body: { run_id: '$DELRUN' }, writes: true },
  { path: '/runs/search', body: { experiment_ids: ['$EXP'], filter: "params.p0 = 'a'" }, writes: false },
  {
    path: '/runs/log-metric',
    body: { run_id: '$RUN', key: 'm1', value: 1.5, timestamp: 1, step: 2 },
    writes: true,
  },
  { path: '/runs/log-parameter', body: { run_id: '$RUN', key: 'p1', value: 'v' }, writes: true },
  { path: '/runs/set-tag', body: { run_id: '$RUN', key: 't1', value: 'v' }, writes: true },
  { path: '/runs/delete-tag', body: { run_id: '$RUN', key: 'rtag' }, writes: true },
  {
    path: '/runs/log-batch',
    body: {
      run_id: '$RUN',
      metrics: [{ key: 'bm', value: 1, timestamp: 1, step: 0 }],
      params: [{ key: 'bp', value: '1' }],
      tags: [{ key: 'bt', value: '1' }],
    },
    writes: true,
  },
  { path: '/runs/log-model', body: { run_id: '$RUN', model_json: MLMODEL }, writes: true },
  { path: '/runs/log-inputs', body: { run_id: '$RUN', datasets: [{ dataset: DATASET }] }, writes: true },
];

/** GET routes and the artifact proxy, with valid requests, for the controls. */
const READS: { what: string; method: Method; path: string; query?: Query; writes: boolean }[] = [
  {
    what: 'GET experiments/search',
    method: 'GET',
    path: `${API}/experiments/search`,
    query: { max_results: 5 },
    writes: false,
  },
  {
    what: 'GET experiments/get',
    method: 'GET',
    path: `${API}/experiments/get`,
    query: { experiment_id: '$EXP' },
    writes: false,
  },
  {
    what: 'GET experiments/get-by-name',
    method: 'GET',
    path: `${API}/experiments/get-by-name`,
    query: { experiment_name: '$EXPNAME' },
    writes: false,
  },
  { what: 'GET runs/get', method: 'GET', path: `${API}/runs/get`, query: { run_id: '$RUN' }, writes: false },
  {
    what: 'GET metrics/get-history',
    method: 'GET',
    path: `${API}/metrics/get-history`,
    query: { run_id: '$RUN', metric_key: 'm0', max_results: 5 },
    writes: false,
  },
  {
    what: 'GET artifacts/list',
    method: 'GET',
    path: `${API}/artifacts/list`,
    query: { run_id: '$RUN' },
    writes: false,
  },
  { what: 'GET proxy list', method: 'GET', path: PROXY, query: { path: '$ART' }, writes: false },
  { what: 'GET proxy file', method: 'GET', path: `${PROXY}/$ART/file.txt`, writes: false },
  { what: 'PUT proxy file', method: 'PUT', path: `${PROXY}/$ART/new.txt`, writes: true },
  { what: 'DELETE proxy file', method: 'DELETE', path: `${PROXY}/$ART/file.txt`, writes: true },
];

const post = (path: string, json: unknown, rest: Omit<Case, 'method' | 'path' | 'json'>): Case => ({
  method: 'POST',
  path,
  json,
  ...rest,
});
const IPV = 'INVALID_PARAMETER_VALUE' as const;
const NOT_FOUND = 'RESOURCE_DOES_NOT_EXIST' as const;

/** The generic malformations, applied to every POST route. */
function genericCases(): Case[] {
  const out: Case[] = [];
  for (const r of ROUTES) {
    const p = r.path;
    out.push(
      {
        what: 'invalid JSON',
        method: 'POST',
        path: p,
        raw: '{"run_id": "x", ',
        contentType: 'application/json',
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        what: 'truncated JSON string',
        method: 'POST',
        path: p,
        raw: '{"name": "unterminated',
        contentType: 'application/json',
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        what: 'a JSON array body',
        method: 'POST',
        path: p,
        raw: '[]',
        contentType: 'application/json',
        status: 400,
        code: IPV,
      },
      {
        what: 'a JSON array of the valid body',
        method: 'POST',
        path: p,
        json: [r.body],
        status: 400,
        code: IPV,
      },
      {
        what: 'a JSON string body',
        method: 'POST',
        path: p,
        raw: '"x"',
        contentType: 'application/json',
        status: 400,
        code: IPV,
      },
      {
        what: 'a JSON number body',
        method: 'POST',
        path: p,
        raw: '42',
        contentType: 'application/json',
        status: 400,
        code: IPV,
      },
      {
        what: 'a JSON boolean body',
        method: 'POST',
        path: p,
        raw: 'true',
        contentType: 'application/json',
        status: 400,
        code: IPV,
      },
      {
        what: 'Content-Type text/plain (valid JSON inside)',
        method: 'POST',
        path: p,
        raw: JSON.stringify(r.body),
        contentType: 'text/plain',
        status: 400,
        code: IPV,
      },
      {
        what: 'Content-Type text/plain: the message names Content-Type',
        method: 'POST',
        path: p,
        raw: JSON.stringify(r.body),
        contentType: 'text/plain',
        status: 400,
        code: IPV,
        field: 'Content-Type',
      },
      {
        what: 'Content-Type application/x-www-form-urlencoded',
        method: 'POST',
        path: p,
        raw: 'run_id=x&key=y',
        contentType: 'application/x-www-form-urlencoded',
        status: 400,
        code: IPV,
        field: 'Content-Type',
      },
      {
        what: 'Content-Type application/xml',
        method: 'POST',
        path: p,
        raw: '<run_id>x</run_id>',
        contentType: 'application/xml',
        status: 400,
        code: IPV,
        field: 'Content-Type',
      },
      {
        what: `a body over the ${BODY_LIMIT}-byte limit`,
        method: 'POST',
        path: p,
        json: { ...r.body, padding: 'x'.repeat(BODY_LIMIT + 1000) },
        transport: 'limited',
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
    );
  }
  return out;
}

/** Route-specific malformations. */
const SPECIFIC: Case[] = [
  // experiments/create
  post(
    '/experiments/create',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'name'" },
  ),
  post(
    '/experiments/create',
    { name: 123 },
    { status: 400, code: IPV, field: "Invalid value 123 for parameter 'name'" },
  ),
  post('/experiments/create', { name: '' }, { status: 400, code: IPV, field: "'name'" }),
  post('/experiments/create', { name: null }, { status: 400, code: IPV, field: "'name'" }),
  post('/experiments/create', { name: { a: 1 } }, { status: 400, code: IPV, field: "'name'" }),
  post('/experiments/create', { name: ['a'] }, { status: 400, code: IPV, field: "'name'" }),
  post('/experiments/create', { name: 'n'.repeat(501) }, { status: 400, code: IPV, field: '500' }),
  post(
    '/experiments/create',
    { name: 'ok-1', artifact_location: 9.0 },
    { status: 400, code: IPV, field: "'artifact_location'" },
  ),
  post('/experiments/create', { name: 'ok-2', tags: '5' }, { status: 400, code: IPV, field: "'tags'" }),
  post(
    '/experiments/create',
    { name: 'ok-3', tags: { key: 'a', value: 'b' } },
    { status: 400, code: IPV, field: "'tags'" },
  ),
  post(
    '/experiments/create',
    { name: 'ok-4', tags: [{ key: 'a' }] },
    { status: 400, code: IPV, field: "'tags[0].value'" },
  ),
  post(
    '/experiments/create',
    { name: 'ok-5', tags: [{ key: 'a', value: 5 }] },
    { status: 400, code: IPV, field: "'tags[0].value'" },
  ),
  post(
    '/experiments/create',
    { name: 'ok-6', tags: [{ key: k251, value: 'v' }] },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/experiments/create',
    { name: 'ok-7', tags: [{ key: 'k', value: 'v'.repeat(5001) }] },
    { status: 400, code: IPV, field: '5000' },
  ),
  post(
    '/experiments/create',
    { name: 'ok-8', tags: [{ key: 'bad*key', value: 'v' }] },
    { status: 400, code: IPV, field: 'bad*key' },
  ),
  post(
    '/experiments/create',
    { name: 'Default' },
    { status: 400, code: 'RESOURCE_ALREADY_EXISTS', field: 'Default' },
  ),
  post('/experiments/create', { name: '$EXPNAME' }, { status: 400, code: 'RESOURCE_ALREADY_EXISTS' }),
  // experiments/search (POST)
  post('/experiments/search', { max_results: 'abc' }, { status: 400, code: IPV, field: "'max_results'" }),
  post('/experiments/search', { max_results: 1.5 }, { status: 400, code: IPV, field: "'max_results'" }),
  post('/experiments/search', { max_results: 0 }, { status: 400, code: IPV, field: "'max_results'" }),
  post('/experiments/search', { max_results: 123456789 }, { status: 400, code: IPV, field: "'max_results'" }),
  post('/experiments/search', { filter: 5 }, { status: 400, code: IPV, field: "'filter'" }),
  post('/experiments/search', { filter: "name ~ 'x'" }, { status: 400, code: IPV }),
  post('/experiments/search', { filter: "name = 'a' OR name = 'b'" }, { status: 400, code: IPV }),
  post('/experiments/search', { order_by: 'name' }, { status: 400, code: IPV, field: "'order_by'" }),
  post('/experiments/search', { order_by: [5] }, { status: 400, code: IPV, field: "'order_by[0]'" }),
  post('/experiments/search', { order_by: ['name SIDEWAYS'] }, { status: 400, code: IPV }),
  post('/experiments/search', { view_type: 'BOGUS' }, { status: 400, code: IPV, field: "'view_type'" }),
  post(
    '/experiments/search',
    { page_token: '!!not a token!!' },
    { status: 400, code: IPV, field: 'page token' },
  ),
  // experiments/search (GET)
  {
    what: '',
    method: 'GET',
    path: '/experiments/search',
    query: { max_results: 'abc' },
    status: 400,
    code: IPV,
    field: "'max_results'",
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/search',
    query: { max_results: '0' },
    status: 400,
    code: IPV,
    field: "'max_results'",
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/search',
    query: { view_type: 'BOGUS' },
    status: 400,
    code: IPV,
    field: "'view_type'",
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/search',
    query: { filter: "name = 'x" },
    status: 400,
    code: IPV,
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/search',
    query: { order_by: 'bogus.x' },
    status: 400,
    code: IPV,
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/search',
    query: { page_token: 'zzz' },
    status: 400,
    code: IPV,
    field: 'page token',
  },
  // experiments/get, get-by-name
  {
    what: '',
    method: 'GET',
    path: '/experiments/get',
    status: 400,
    code: IPV,
    field: "Missing value for required parameter 'experiment_id'",
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/get',
    query: { experiment_id: '' },
    status: 400,
    code: IPV,
    field: "'experiment_id'",
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/get',
    query: { experiment_id: NO_EXP },
    status: 404,
    code: NOT_FOUND,
    field: NO_EXP,
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/get-by-name',
    status: 400,
    code: IPV,
    field: "Missing value for required parameter 'experiment_name'",
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/get-by-name',
    query: { experiment_name: 'no-such-exp' },
    status: 404,
    code: NOT_FOUND,
    field: 'no-such-exp',
  },
  {
    what: '',
    method: 'GET',
    path: '/experiments/get-by-name',
    query: { experiment_name: 'n'.repeat(600) },
    status: 404,
    code: NOT_FOUND,
  },
  // experiments/delete, restore
  post(
    '/experiments/delete',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'experiment_id'" },
  ),
  post('/experiments/delete', { experiment_id: 5 }, { status: 400, code: IPV, field: "'experiment_id'" }),
  post('/experiments/delete', { experiment_id: '' }, { status: 400, code: IPV, field: "'experiment_id'" }),
  post('/experiments/delete', { experiment_id: NO_EXP }, { status: 404, code: NOT_FOUND, field: NO_EXP }),
  post(
    '/experiments/delete',
    { experiment_id: '$DELEXP' },
    {
      status: 404,
      code: NOT_FOUND,
    },
  ),
  post(
    '/experiments/restore',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'experiment_id'" },
  ),
  post(
    '/experiments/restore',
    { experiment_id: ['x'] },
    { status: 400, code: IPV, field: "'experiment_id'" },
  ),
  post('/experiments/restore', { experiment_id: NO_EXP }, { status: 404, code: NOT_FOUND, field: NO_EXP }),
  post(
    '/experiments/restore',
    { experiment_id: '$EXP' },
    {
      status: 404,
      code: NOT_FOUND,
    },
  ),
  // experiments/update
  post('/experiments/update', {}, { status: 400, code: IPV, field: "'experiment_id'" }),
  post(
    '/experiments/update',
    { experiment_id: '$EXP', new_name: 5 },
    { status: 400, code: IPV, field: "'new_name'" },
  ),
  post(
    '/experiments/update',
    { experiment_id: '$EXP', new_name: '' },
    { status: 400, code: IPV, field: 'name' },
  ),
  post(
    '/experiments/update',
    { experiment_id: '$EXP', new_name: 'n'.repeat(501) },
    { status: 400, code: IPV, field: '500' },
  ),
  post(
    '/experiments/update',
    { experiment_id: '$EXP', new_name: 'Default' },
    { status: 400, code: 'RESOURCE_ALREADY_EXISTS' },
  ),
  post(
    '/experiments/update',
    { experiment_id: NO_EXP, new_name: 'x' },
    { status: 404, code: NOT_FOUND, field: NO_EXP },
  ),
  // experiments/set-experiment-tag, delete-experiment-tag
  post('/experiments/set-experiment-tag', {}, { status: 400, code: IPV, field: "'experiment_id'" }),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', value: 'v' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'key'" },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: 'k' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'value'" },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: 'k', value: 41 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: 5, value: 'v' },
    { status: 400, code: IPV, field: "'key'" },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: '', value: 'v' },
    { status: 400, code: IPV, field: "'key'" },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: k251, value: 'v' },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: 'k', value: 'v'.repeat(5001) },
    { status: 400, code: IPV, field: '5000' },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$EXP', key: 'a*b', value: 'v' },
    { status: 400, code: IPV, field: 'a*b' },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: NO_EXP, key: 'k', value: 'v' },
    { status: 404, code: NOT_FOUND, field: NO_EXP },
  ),
  post(
    '/experiments/set-experiment-tag',
    { experiment_id: '$DELEXP', key: 'k', value: 'v' },
    { status: 400, code: IPV, field: '$DELEXP' },
  ),
  post('/experiments/delete-experiment-tag', {}, { status: 400, code: IPV, field: "'experiment_id'" }),
  post(
    '/experiments/delete-experiment-tag',
    { experiment_id: '$EXP' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'key'" },
  ),
  post(
    '/experiments/delete-experiment-tag',
    { experiment_id: '$EXP', key: 7 },
    { status: 400, code: IPV, field: "'key'" },
  ),
  post(
    '/experiments/delete-experiment-tag',
    { experiment_id: NO_EXP, key: 'etag' },
    { status: 404, code: NOT_FOUND, field: NO_EXP },
  ),
  post(
    '/experiments/delete-experiment-tag',
    { experiment_id: '$EXP', key: 'no-such-tag' },
    { status: 404, code: NOT_FOUND, field: 'no-such-tag' },
  ),
  // runs/create
  post('/runs/create', { experiment_id: 5 }, { status: 400, code: IPV, field: "'experiment_id'" }),
  post(
    '/runs/create',
    { experiment_id: '$EXP', start_time: 'abc' },
    { status: 400, code: IPV, field: "'start_time'" },
  ),
  post(
    '/runs/create',
    { experiment_id: '$EXP', start_time: 1.5 },
    { status: 400, code: IPV, field: "'start_time'" },
  ),
  post(
    '/runs/create',
    { experiment_id: '$EXP', start_time: {} },
    { status: 400, code: IPV, field: "'start_time'" },
  ),
  post(
    '/runs/create',
    { experiment_id: '$EXP', run_name: 5 },
    { status: 400, code: IPV, field: "'run_name'" },
  ),
  post('/runs/create', { experiment_id: '$EXP', user_id: 5 }, { status: 400, code: IPV, field: "'user_id'" }),
  post('/runs/create', { experiment_id: '$EXP', tags: 'x' }, { status: 400, code: IPV, field: "'tags'" }),
  post(
    '/runs/create',
    { experiment_id: '$EXP', tags: [{ key: 'k' }] },
    { status: 400, code: IPV, field: "'tags[0].value'" },
  ),
  post(
    '/runs/create',
    { experiment_id: '$EXP', tags: [{ key: k251, value: 'v' }] },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/runs/create',
    { experiment_id: '$EXP', tags: [{ key: 'k', value: 'v'.repeat(8001) }] },
    { status: 400, code: IPV, field: '8000' },
  ),
  post(
    '/runs/create',
    { experiment_id: '$EXP', run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] },
    { status: 400, code: IPV, field: 'run_name' },
  ),
  post('/runs/create', { experiment_id: '$DELEXP' }, { status: 400, code: IPV, field: '$DELEXP' }),
  post(
    '/runs/create',
    { experiment_id: NO_EXP },
    {
      status: 404,
      code: NOT_FOUND,
      field: NO_EXP,
    },
  ),
  // runs/update
  post(
    '/runs/update',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post('/runs/update', { run_id: 5 }, { status: 400, code: IPV, field: "'run_id'" }),
  post('/runs/update', { run_id: '$RUN', status: 'DONE' }, { status: 400, code: IPV, field: "'status'" }),
  post('/runs/update', { run_id: '$RUN', status: 3 }, { status: 400, code: IPV, field: "'status'" }),
  post('/runs/update', { run_id: '$RUN', end_time: 'abc' }, { status: 400, code: IPV, field: "'end_time'" }),
  post('/runs/update', { run_id: '$RUN', run_name: 5 }, { status: 400, code: IPV, field: "'run_name'" }),
  post(
    '/runs/update',
    { run_id: NO_RUN, status: 'FINISHED' },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post(
    '/runs/update',
    { run_id: '$DELRUN', status: 'FINISHED' },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  // runs/delete, restore
  post(
    '/runs/delete',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post('/runs/delete', { run_id: 5 }, { status: 400, code: IPV, field: "'run_id'" }),
  post('/runs/delete', { run_id: '' }, { status: 400, code: IPV, field: "'run_id'" }),
  post('/runs/delete', { run_id: NO_RUN }, { status: 404, code: NOT_FOUND, field: NO_RUN }),
  post(
    '/runs/restore',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post('/runs/restore', { run_id: { id: 'x' } }, { status: 400, code: IPV, field: "'run_id'" }),
  post('/runs/restore', { run_id: NO_RUN }, { status: 404, code: NOT_FOUND, field: NO_RUN }),
  // runs/get
  {
    what: '',
    method: 'GET',
    path: '/runs/get',
    status: 400,
    code: IPV,
    field: "Missing value for required parameter 'run_id'",
  },
  {
    what: '',
    method: 'GET',
    path: '/runs/get',
    query: { run_id: NO_RUN },
    status: 404,
    code: NOT_FOUND,
    field: NO_RUN,
  },
  // runs/search
  post('/runs/search', { experiment_ids: '$EXP' }, { status: 400, code: IPV, field: "'experiment_ids'" }),
  post('/runs/search', { experiment_ids: [0] }, { status: 400, code: IPV, field: "'experiment_ids[0]'" }),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], max_results: 'abc' },
    { status: 400, code: IPV, field: "'max_results'" },
  ),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], max_results: 123456789 },
    { status: 400, code: IPV, field: "'max_results'" },
  ),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], max_results: -1 },
    { status: 400, code: IPV, field: "'max_results'" },
  ),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], filter: 5 },
    { status: 400, code: IPV, field: "'filter'" },
  ),
  post('/runs/search', { experiment_ids: ['$EXP'], filter: 'metrics.acc >' }, { status: 400, code: IPV }),
  post('/runs/search', { experiment_ids: ['$EXP'], filter: "params.p0 < 'a'" }, { status: 400, code: IPV }),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], order_by: 'metrics.m0' },
    { status: 400, code: IPV, field: "'order_by'" },
  ),
  post('/runs/search', { experiment_ids: ['$EXP'], order_by: ['metrics.m0 UP'] }, { status: 400, code: IPV }),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], run_view_type: 'SOME' },
    { status: 400, code: IPV, field: "'run_view_type'" },
  ),
  post(
    '/runs/search',
    { experiment_ids: ['$EXP'], page_token: 'zzz' },
    { status: 400, code: IPV, field: 'page token' },
  ),
  // runs/log-metric
  post(
    '/runs/log-metric',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'key'" },
  ),
  post(
    '/runs/log-metric',
    { key: 'm', value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: 5, key: 'm', value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: "'run_id'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 5, value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: "'key'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 'abc', timestamp: 1 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: true, timestamp: 1 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: {}, timestamp: 1 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 1 },
    { status: 400, code: IPV, field: "'timestamp'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', timestamp: 1 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 1, timestamp: 'abc' },
    { status: 400, code: IPV, field: "'timestamp'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 1, timestamp: 1.5 },
    { status: 400, code: IPV, field: "'timestamp'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 1, timestamp: -1 },
    { status: 400, code: IPV, field: "'timestamp'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 1, timestamp: 1, step: 'foo' },
    { status: 400, code: IPV, field: 'Invalid value "foo" for parameter \'step\'' },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'm', value: 1, timestamp: 1, step: 0.5 },
    { status: 400, code: IPV, field: "'step'" },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: k251, value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: 'bad*key', value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: 'bad*key' },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: '../escape', value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: '../escape' },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$RUN', key: '', value: 1, timestamp: 1 },
    {
      status: 400,
      code: IPV,
      field: 'metric',
    },
  ),
  post(
    '/runs/log-metric',
    { run_id: NO_RUN, key: 'm', value: 1, timestamp: 1 },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post(
    '/runs/log-metric',
    { run_id: '$DELRUN', key: 'm', value: 1, timestamp: 1 },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  // runs/log-parameter
  post(
    '/runs/log-parameter',
    { run_id: '$RUN' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'key'" },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$RUN', key: 'p' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'value'" },
  ),
  post(
    '/runs/log-parameter',
    { key: 'p', value: 'v' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$RUN', key: 'p', value: 41 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$RUN', key: 'p', value: ['v'] },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$RUN', key: 'p', value: 'v'.repeat(6001) },
    { status: 400, code: IPV, field: '6000' },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$RUN', key: k251, value: 'v' },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$RUN', key: 'p0', value: 'changed' },
    { status: 400, code: IPV, field: 'p0' },
  ),
  post(
    '/runs/log-parameter',
    { run_id: NO_RUN, key: 'p', value: 'v' },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post(
    '/runs/log-parameter',
    { run_id: '$DELRUN', key: 'p', value: 'v' },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  // runs/set-tag
  post(
    '/runs/set-tag',
    { run_id: '$RUN', key: 't' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'value'" },
  ),
  post(
    '/runs/set-tag',
    { run_id: '$RUN', value: 'v' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'key'" },
  ),
  post(
    '/runs/set-tag',
    { run_id: '$RUN', key: 't', value: 41 },
    { status: 400, code: IPV, field: "'value'" },
  ),
  post(
    '/runs/set-tag',
    { run_id: '$RUN', key: 't', value: 'v'.repeat(8001) },
    { status: 400, code: IPV, field: '8000' },
  ),
  post('/runs/set-tag', { run_id: '$RUN', key: k251, value: 'v' }, { status: 400, code: IPV, field: '250' }),
  post(
    '/runs/set-tag',
    { run_id: NO_RUN, key: 't', value: 'v' },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post(
    '/runs/set-tag',
    { run_id: '$DELRUN', key: 't', value: 'v' },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  // runs/delete-tag
  post(
    '/runs/delete-tag',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post(
    '/runs/delete-tag',
    { run_id: '$RUN' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'key'" },
  ),
  post('/runs/delete-tag', { run_id: '$RUN', key: 5 }, { status: 400, code: IPV, field: "'key'" }),
  post('/runs/delete-tag', { run_id: NO_RUN, key: 'rtag' }, { status: 404, code: NOT_FOUND, field: NO_RUN }),
  post(
    '/runs/delete-tag',
    { run_id: '$RUN', key: 'no-such-tag' },
    { status: 404, code: NOT_FOUND, field: 'no-such-tag' },
  ),
  post('/runs/delete-tag', { run_id: '$DELRUN', key: 'rtag' }, { status: 400, code: IPV, field: '$DELRUN' }),
  // runs/log-batch
  post(
    '/runs/log-batch',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post('/runs/log-batch', { run_id: 5 }, { status: 400, code: IPV, field: "'run_id'" }),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: 'foo' },
    { status: 400, code: IPV, field: 'Invalid value "foo" for parameter \'metrics\' supplied' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', params: 'foo' },
    { status: 400, code: IPV, field: 'Invalid value "foo" for parameter \'params\' supplied' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', tags: 'foo' },
    { status: 400, code: IPV, field: 'Invalid value "foo" for parameter \'tags\' supplied' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: { key: 'm', value: 1, timestamp: 1 } },
    { status: 400, code: IPV, field: "'metrics'" },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: [{ key: 'm', value: 1 }] },
    { status: 400, code: IPV, field: "'metrics[0].timestamp'" },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: [{ key: 'm', value: 'x', timestamp: 1 }] },
    { status: 400, code: IPV, field: "'metrics[0].value'" },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: [{ key: 5, value: 1, timestamp: 1 }] },
    { status: 400, code: IPV, field: "'metrics[0].key'" },
  ),
  post(
    '/runs/log-batch',
    {
      run_id: '$RUN',
      metrics: [
        { key: 'm', value: 1, timestamp: 1 },
        { key: 'm', value: 1, timestamp: 'x' },
      ],
    },
    { status: 400, code: IPV, field: "'metrics[1].timestamp'" },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', params: [{ key: 'a', value: 1 }] },
    { status: 400, code: IPV, field: "'params[0].value'" },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', tags: [{ key: 'a' }] },
    { status: 400, code: IPV, field: "'tags[0].value'" },
  ),
  post(
    '/runs/log-batch',
    {
      run_id: '$RUN',
      metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: i })),
    },
    { status: 400, code: IPV, field: '1000' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', params: Array.from({ length: 101 }, (_, i) => ({ key: `q${i}`, value: 'v' })) },
    { status: 400, code: IPV, field: '100' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', tags: Array.from({ length: 101 }, (_, i) => ({ key: `u${i}`, value: 'v' })) },
    { status: 400, code: IPV, field: '100' },
  ),
  post(
    '/runs/log-batch',
    {
      run_id: '$RUN',
      metrics: Array.from({ length: 900 }, (_, i) => ({ key: 'm', value: i, timestamp: i })),
      params: Array.from({ length: 50 }, (_, i) => ({ key: `q${i}`, value: 'v' })),
      tags: Array.from({ length: 51 }, (_, i) => ({ key: `u${i}`, value: 'v' })),
    },
    { status: 400, code: IPV, field: '1000' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: [{ key: k251, value: 1, timestamp: 1 }] },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', metrics: [{ key: '', value: 1, timestamp: 1 }] },
    {
      status: 400,
      code: IPV,
      field: 'metric',
    },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', params: [{ key: '', value: 'v' }] },
    { status: 400, code: IPV, field: 'param' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', tags: [{ key: '', value: 'v' }] },
    { status: 400, code: IPV, field: 'tag' },
  ),
  post(
    '/runs/log-batch',
    {
      run_id: '$RUN',
      params: [
        { key: 'ok', value: 'v' },
        { key: k251, value: 'v' },
      ],
    },
    { status: 400, code: IPV, field: '250' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', params: [{ key: 'long', value: 'v'.repeat(6001) }] },
    { status: 400, code: IPV, field: '6000' },
  ),
  post(
    '/runs/log-batch',
    { run_id: '$RUN', tags: [{ key: 'long', value: 'v'.repeat(8001) }] },
    { status: 400, code: IPV, field: '8000' },
  ),
  post(
    '/runs/log-batch',
    {
      run_id: '$RUN',
      metrics: [{ key: 'atomic_m', value: 1, timestamp: 1 }],
      params: [
        { key: 'atomic_p', value: 'x' },
        { key: 'p0', value: 'changed' },
      ],
      tags: [
        { key: 'atomic_t', value: 'y' },
        { key: 'rtag', value: 'overwritten' },
      ],
    },
    { status: 400, code: IPV, field: 'p0' },
  ),
  post(
    '/runs/log-batch',
    {
      run_id: '$RUN',
      params: [
        { key: 'dup', value: '1' },
        { key: 'dup', value: '2' },
      ],
    },
    { status: 400, code: IPV, field: 'dup' },
  ),
  post(
    '/runs/log-batch',
    { run_id: NO_RUN, metrics: [{ key: 'm', value: 1, timestamp: 1 }] },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post('/runs/log-batch', { run_id: NO_RUN }, { status: 404, code: NOT_FOUND, field: NO_RUN }),
  post(
    '/runs/log-batch',
    { run_id: '$DELRUN', tags: [{ key: 't', value: 'v' }] },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  // runs/log-model
  post(
    '/runs/log-model',
    { run_id: '$RUN' },
    { status: 400, code: IPV, field: "Missing value for required parameter 'model_json'" },
  ),
  post('/runs/log-model', { model_json: MLMODEL }, { status: 400, code: IPV, field: "'run_id'" }),
  post(
    '/runs/log-model',
    { run_id: '$RUN', model_json: 5 },
    { status: 400, code: IPV, field: "'model_json'" },
  ),
  post(
    '/runs/log-model',
    { run_id: '$RUN', model_json: { artifact_path: 'm' } },
    { status: 400, code: IPV, field: "'model_json'" },
  ),
  post(
    '/runs/log-model',
    { run_id: '$RUN', model_json: '' },
    { status: 400, code: IPV, field: "'model_json'" },
  ),
  post(
    '/runs/log-model',
    { run_id: '$RUN', model_json: 'not a valid JSON' },
    { status: 400, code: IPV, field: 'model_json' },
  ),
  post(
    '/runs/log-model',
    { run_id: '$RUN', model_json: JSON.stringify({ some: 'data' }) },
    {
      status: 400,
      code: IPV,
      field: 'artifact_path',
    },
  ),
  post(
    '/runs/log-model',
    { run_id: NO_RUN, model_json: MLMODEL },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post(
    '/runs/log-model',
    { run_id: '$DELRUN', model_json: MLMODEL },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  // runs/log-inputs
  post(
    '/runs/log-inputs',
    {},
    { status: 400, code: IPV, field: "Missing value for required parameter 'run_id'" },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$RUN', datasets: 'x' },
    { status: 400, code: IPV, field: "'datasets'" },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$RUN', datasets: [{ dataset: { name: 'd' } }] },
    { status: 400, code: IPV, field: "'datasets[0].dataset.digest'" },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$RUN', datasets: [{ dataset: { ...DATASET, name: 5 } }] },
    { status: 400, code: IPV, field: "'datasets[0].dataset.name'" },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$RUN', datasets: [{ tags: 'x', dataset: DATASET }] },
    { status: 400, code: IPV, field: "'datasets[0].tags'" },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$RUN', datasets: [{ dataset: DATASET }, { dataset: { ...DATASET, digest: '' } }] },
    { status: 400, code: IPV, field: 'digest' },
  ),
  post(
    '/runs/log-inputs',
    { run_id: NO_RUN, datasets: [{ dataset: DATASET }] },
    { status: 404, code: NOT_FOUND, field: NO_RUN },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$DELRUN', datasets: [{ dataset: DATASET }] },
    { status: 400, code: IPV, field: '$DELRUN' },
  ),
  post(
    '/runs/log-inputs',
    { run_id: NO_RUN, datasets: [] },
    {
      status: 404,
      code: NOT_FOUND,
      field: NO_RUN,
    },
  ),
  post(
    '/runs/log-inputs',
    { run_id: '$DELRUN' },
    {
      status: 400,
      code: IPV,
      field: '$DELRUN',
    },
  ),
  // metrics/get-history
  {
    what: '',
    method: 'GET',
    path: '/metrics/get-history',
    query: { run_id: '$RUN' },
    status: 400,
    code: IPV,
    field: "Missing value for required parameter 'metric_key'",
  },
  {
    what: '',
    method: 'GET',
    path: '/metrics/get-history',
    query: { metric_key: 'm0' },
    status: 400,
    code: IPV,
    field: "Missing value for required parameter 'run_id'",
  },
  {
    what: '',
    method: 'GET',
    path: '/metrics/get-history',
    query: { run_id: '$RUN', metric_key: 'm0', max_results: 'abc' },
    status: 400,
    code: IPV,
    field: "'max_results'",
  },
  {
    what: '',
    method: 'GET',
    path: '/metrics/get-history',
    query: { run_id: '$RUN', metric_key: 'm0', max_results: '0' },
    status: 400,
    code: IPV,
    field: "'max_results'",
  },
  {
    what: '',
    method: 'GET',
    path: '/metrics/get-history',
    query: { run_id: '$RUN', metric_key: 'm0', page_token: 'zzz' },
    status: 400,
    code: IPV,
    field: 'page token',
  },
  {
    what: '',
    method: 'GET',
    path: '/metrics/get-history',
    query: { run_id: NO_RUN, metric_key: 'm0' },
    status: 404,
    code: NOT_FOUND,
    field: NO_RUN,
  },
  // artifacts/list
  {
    what: '',
    method: 'GET',
    path: '/artifacts/list',
    status: 400,
    code: IPV,
    field: "Missing value for required parameter 'run_id'",
  },
  {
    what: '',
    method: 'GET',
    path: '/artifacts/list',
    query: { run_id: NO_RUN },
    status: 404,
    code: NOT_FOUND,
    field: NO_RUN,
  },
  {
    what: '',
    method: 'GET',
    path: '/artifacts/list',
    query: { run_id: '$RUN', path: '../other' },
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: '',
    method: 'GET',
    path: '/artifacts/list',
    query: { run_id: '$RUN', path: '%2e%2e/other' },
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  // The artifact proxy.
  {
    what: '',
    method: 'GET',
    path: PROXY,
    query: { path: '../x' },
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: '',
    method: 'GET',
    path: `${PROXY}/$ART/missing.txt`,
    status: 404,
    code: NOT_FOUND,
    field: 'missing.txt',
  },
  {
    what: '',
    method: 'DELETE',
    path: `${PROXY}/$ART/missing.txt`,
    status: 404,
    code: NOT_FOUND,
    field: 'missing.txt',
  },
  {
    what: 'PUT onto an existing directory',
    method: 'PUT',
    path: `${PROXY}/$ART/dir`,
    raw: 'x',
    status: 400,
    code: IPV,
    field: 'dir',
  },
  {
    what: 'traversal',
    method: 'GET',
    path: `${PROXY}/$ART/../../etc/passwd`,
    transport: 'http',
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: 'traversal',
    method: 'GET',
    path: `${PROXY}/$ART/%2e%2e/%2e%2e/etc/passwd`,
    transport: 'http',
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: 'traversal',
    method: 'PUT',
    path: `${PROXY}/$ART/../../evil.txt`,
    raw: 'evil',
    transport: 'http',
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: 'traversal',
    method: 'PUT',
    path: `${PROXY}/%2e%2e/evil.txt`,
    raw: 'evil',
    transport: 'http',
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: 'traversal',
    method: 'DELETE',
    path: `${PROXY}/$ART/../$ART`,
    transport: 'http',
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  {
    what: 'traversal',
    method: 'DELETE',
    path: `${AJAX_PROXY}/%2e%2e/$ART`,
    transport: 'http',
    status: 400,
    code: IPV,
    field: 'Invalid path',
  },
  // Spot checks of the /ajax-api alias.
  {
    what: 'ajax',
    method: 'POST',
    base: AJAX,
    path: '/runs/log-batch',
    raw: '{bad',
    contentType: 'application/json',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    what: 'ajax',
    method: 'POST',
    base: AJAX,
    path: '/runs/log-metric',
    json: { run_id: '$RUN', key: 'm', value: 'x', timestamp: 1 },
    status: 400,
    code: IPV,
    field: "'value'",
  },
  {
    what: 'ajax',
    method: 'POST',
    base: AJAX,
    path: '/experiments/create',
    json: {},
    status: 400,
    code: IPV,
    field: "'name'",
  },
  {
    what: 'ajax',
    method: 'GET',
    base: AJAX,
    path: '/runs/get',
    query: { run_id: NO_RUN },
    status: 404,
    code: NOT_FOUND,
    field: NO_RUN,
  },
  {
    what: 'ajax',
    method: 'POST',
    base: AJAX,
    path: '/runs/set-tag',
    raw: 'a=b',
    contentType: 'text/plain',
    status: 400,
    code: IPV,
  },
  {
    what: 'ajax',
    method: 'POST',
    base: AJAX,
    path: '/runs/log-batch',
    json: { run_id: '$RUN', padding: 'x'.repeat(BODY_LIMIT) },
    transport: 'limited',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  // The 413 message states the configured limit.
  {
    what: 'the PAYLOAD_TOO_LARGE message states the limit',
    method: 'POST',
    path: '/runs/log-batch',
    json: { run_id: '$RUN', padding: 'x'.repeat(BODY_LIMIT) },
    transport: 'limited',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    field: String(BODY_LIMIT),
  },
];

const CASES: Case[] = [...genericCases(), ...SPECIFIC];

const label = (c: Case): string => {
  const url =
    c.path.startsWith('/api') || c.path.startsWith('/ajax-api') ? c.path : `${c.base ?? API}${c.path}`;
  const body =
    c.raw !== undefined
      ? ` ${c.contentType ?? 'no content-type'} ${JSON.stringify(c.raw.length > 60 ? `${c.raw.slice(0, 60)}…` : c.raw)}`
      : c.json !== undefined
        ? ` ${(() => {
            const s = JSON.stringify(c.json);
            return s.length > 80 ? `${s.slice(0, 80)}…` : s;
          })()}`
        : '';
  const q = c.query ? qs(c.query) : '';
  return `${c.method} ${url}${q.length > 80 ? `${q.slice(0, 80)}…` : q}${body}${c.what ? ` [${c.what}]` : ''} → ${c.status} ${c.code}`;
};

describe.each(DIALECTS)('malformed MLflow requests (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let limited: FastifyInstance;
  let port: number;
  let fx: Fixtures;

  /** A fresh set of fixtures: an experiment with a tag, runs (one deleted) with data, artifacts. */
  async function makeFixtures(tag: string): Promise<Fixtures> {
    const c = client(env.app);
    const EXPNAME = `malformed-${tag}`;
    const EXP = (await c.ok('/experiments/create', { name: EXPNAME, tags: [{ key: 'etag', value: 'v' }] }))
      .experiment_id;
    const DELEXP = (await c.ok('/experiments/create', { name: `${EXPNAME}-deleted` })).experiment_id;
    await c.ok('/experiments/delete', { experiment_id: DELEXP });
    const RUN = (await c.ok('/runs/create', { experiment_id: EXP, run_name: 'victim' })).run.info.run_id;
    await c.ok('/runs/log-batch', {
      run_id: RUN,
      metrics: [{ key: 'm0', value: 1, timestamp: 1, step: 0 }],
      params: [{ key: 'p0', value: 'a' }],
      tags: [{ key: 'rtag', value: 'x' }],
    });
    await c.ok('/runs/log-inputs', { run_id: RUN, datasets: [{ dataset: { ...DATASET, name: 'seed' } }] });
    const DELRUN = (await c.ok('/runs/create', { experiment_id: EXP, run_name: 'deleted' })).run.info.run_id;
    await c.ok('/runs/set-tag', { run_id: DELRUN, key: 'rtag', value: 'x' });
    await c.ok('/runs/delete', { run_id: DELRUN });
    const ART = `malformed/${tag}`;
    for (const p of ['file.txt', 'dir/inner.txt']) {
      const r = await env.app.inject({ method: 'PUT', url: `${PROXY}/${ART}/${p}`, payload: 'content' });
      expect(r.statusCode).toBe(200);
    }
    return { EXP, EXPNAME, DELEXP, RUN, DELRUN, ART };
  }

  beforeAll(async () => {
    env = await testApp(dialect);
    limited = await buildApp(env.ctx, { allowLocal: true, bodyLimit: BODY_LIMIT });
    port = await listen(env.app);
    fx = await makeFixtures('main');
  });
  afterAll(async () => {
    await limited?.close();
    await env?.cleanup();
  });

  async function send(c: Case, f: Fixtures): Promise<Res> {
    const path = fill(c.path, f);
    const base = path.startsWith('/api') || path.startsWith('/ajax-api') ? '' : (c.base ?? API);
    const url = base + path + qs(fill(c.query, f));
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (c.raw !== undefined) {
      payload = fill(c.raw, f);
      if (c.contentType) headers['content-type'] = c.contentType;
    } else if (c.json !== undefined) {
      payload = JSON.stringify(fill(c.json, f));
      if (c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
    }
    if (c.transport === 'http') return rawRequest(port, c.method, url, payload, headers);
    const app = c.transport === 'limited' ? limited : env.app;
    const r = await app.inject({
      method: c.method,
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    let body: Json = r.body;
    try {
      body = JSON.parse(r.body);
    } catch {
      // keep the raw text; the shape assertion below reports it
    }
    return { status: r.statusCode, body, raw: r.body, headers: r.headers };
  }

  describe('every case: exact 4xx, {error_code, message}, field named, nothing written', () => {
    for (const c of CASES) {
      it(label(c), async () => {
        const before: Snapshot = await snapshot(env.ctx);
        const r = await send(c, fx);
        expect(r.status, r.raw.slice(0, 300)).toBe(c.status);
        expect(r.body).toEqual({ error_code: c.code, message: expect.any(String) });
        expect((r.body.message as string).length).toBeGreaterThan(0);
        if (c.field) expect(r.body.message).toContain(fill(c.field, fx));
        expect(await snapshot(env.ctx)).toEqual(before);
      });
    }
  });

  describe('no request without a Content-Type is accepted as JSON', () => {
    for (const r of ROUTES) {
      it(`POST ${r.path} with a JSON body but no Content-Type → 400 INVALID_PARAMETER_VALUE, nothing written`, async () => {
        const before = await snapshot(env.ctx);
        const res = await env.app.inject({
          method: 'POST',
          url: `${API}${r.path}`,
          payload: Buffer.from(JSON.stringify(fill(r.body, fx))),
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.any(String) });
        expect(await snapshot(env.ctx)).toEqual(before);
      });
    }
  });

  describe('unknown routes', () => {
    it.each([
      ['POST', `${API}/runs/no-such-rpc`],
      ['GET', `${API}/experiments/list`],
      ['GET', `${AJAX}/nothing`],
    ])('%s %s → 404 ENDPOINT_NOT_FOUND in MLflow’s error shape', async (method, url) => {
      const r = await env.app.inject({
        method: method as Method,
        url,
        payload: method === 'POST' ? {} : undefined,
      });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error_code: 'ENDPOINT_NOT_FOUND', message: expect.any(String) });
    });
  });

  /**
   * The controls: each route's valid request succeeds on fresh fixtures, and write routes change
   * the database. Without these, a malformed case could pass because the route never writes.
   */
  describe('controls: the valid requests succeed (and write where expected)', () => {
    for (const r of ROUTES) {
      it(`POST ${r.path} valid body → 200${r.writes ? ', writes' : ''}`, async () => {
        const f = await makeFixtures(`ctl-${r.path.replaceAll('/', '-')}`);
        const before = await snapshot(env.ctx);
        const res = await send({ method: 'POST', path: r.path, json: r.body, status: 200, code: IPV }, f);
        expect(res.status, res.raw.slice(0, 300)).toBe(200);
        const after = await snapshot(env.ctx);
        if (r.writes) expect(after).not.toEqual(before);
        else expect(after).toEqual(before);
      });
    }
    for (const r of READS) {
      it(`${r.what} valid → 200${r.writes ? ', writes' : ''}`, async () => {
        const f = await makeFixtures(`ctl-${r.what.replaceAll(/\W+/g, '-')}`);
        const before = await snapshot(env.ctx);
        const res = await send(
          {
            what: '',
            method: r.method,
            path: r.path,
            ...(r.query ? { query: r.query } : {}),
            ...(r.method === 'PUT' ? { raw: 'new content' } : {}),
            status: 200,
            code: IPV,
          },
          f,
        );
        expect(res.status, res.raw.slice(0, 300)).toBe(200);
        const after = await snapshot(env.ctx);
        if (r.writes) expect(after).not.toEqual(before);
        else expect(after).toEqual(before);
      });
    }
  });
});
