/**
 * Conformance of runs/search with MLflow's search syntax (mlflow/utils/search_utils.py and the
 * search-runs docs): filters on metrics, params, tags and attributes, order_by with missing values
 * last, the default order, pagination, view types and errors. Expected results come from a JS
 * model of the seeded runs, so every assertion is an exact list of run ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, testApp } from '../helpers/context.js';
import { AJAX, type Client, client, createExperiment, createRun, expectError, type Json } from './client.js';

interface Seeded {
  id: string;
  i: number;
  name: string;
  start: number;
  status: 'RUNNING' | 'FINISHED' | 'FAILED';
  deleted: boolean;
  acc?: number;
  loss: number;
  lr: string;
  model: string;
  opt?: string;
  team: string;
  env: string;
}

const N = 30;
const BASE = 1_600_000_000_000;
const LRS = ['0.1', '0.01', '0.001'];
const MODELS = ['Linear', 'linear', 'LINEAR-v2', 'tree'];

const pad = (i: number) => String(i).padStart(2, '0');

function model(i: number, deleted: boolean): Omit<Seeded, 'id'> {
  return {
    i,
    name: `run-${pad(i)}`,
    start: BASE + i * 1000,
    status: i % 3 === 0 ? 'FINISHED' : i % 3 === 1 ? 'FAILED' : 'RUNNING',
    deleted,
    // Every fifth run has no `acc` at all.
    ...(i % 5 === 4 ? {} : { acc: i / 100 }),
    loss: 100 - i,
    lr: LRS[i % 3]!,
    model: MODELS[i % 4]!,
    ...(i % 6 === 0 ? {} : { opt: i % 2 ? 'adam' : 'sgd' }),
    team: i < 15 ? 'alpha' : 'beta',
    env: i % 2 ? 'prod' : 'dev',
  };
}

/** MLflow's tie-breakers after the requested order: start_time DESC, then run_id. */
const defaultOrder = (a: Seeded, b: Seeded) => b.start - a.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe.each(DIALECTS)('MLflow runs/search (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let c: Client;
  let exp: string;
  let exp2: string;
  const runs: Seeded[] = [];
  const other: Seeded[] = [];

  beforeAll(async () => {
    env = await testApp(dialect);
    c = client(env.app);
    exp = await createExperiment(c, 'search-main');
    exp2 = await createExperiment(c, 'search-other');
    // Created in a shuffled order so insertion order cannot stand in for start_time order.
    const order = Array.from({ length: N + 2 }, (_, k) => (k * 11) % (N + 2));
    for (const i of order) {
      const deleted = i >= N;
      const m = model(i, deleted);
      const run = await createRun(c, exp, { run_name: m.name, start_time: m.start });
      const id = run.info.run_id as string;
      await c.ok('/runs/log-batch', {
        run_id: id,
        metrics: [
          ...(m.acc !== undefined ? [{ key: 'acc', value: m.acc, timestamp: m.start, step: 0 }] : []),
          // An older value of loss: only the latest must be used by filters and order_by.
          { key: 'loss', value: -1, timestamp: m.start, step: 0 },
          { key: 'loss', value: m.loss, timestamp: m.start + 1, step: 1 },
        ],
        params: [
          { key: 'lr', value: m.lr },
          { key: 'model', value: m.model },
          ...(m.opt ? [{ key: 'opt', value: m.opt }] : []),
        ],
        tags: [
          { key: 'team', value: m.team },
          { key: 'env', value: m.env },
        ],
      });
      if (m.status !== 'RUNNING')
        await c.ok('/runs/update', { run_id: id, status: m.status, end_time: m.start + 500 });
      if (deleted) await c.ok('/runs/delete', { run_id: id });
      runs.push({ ...m, id });
    }
    for (let i = 0; i < 3; i++) {
      const m = model(100 + i, false);
      const run = await createRun(c, exp2, { run_name: m.name, start_time: m.start });
      await c.ok('/runs/log-batch', {
        run_id: run.info.run_id,
        metrics: [{ key: 'acc', value: 0.5, timestamp: 1, step: 0 }],
        tags: [{ key: 'team', value: 'alpha' }],
      });
      other.push({ ...m, id: run.info.run_id });
    }
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const active = () => runs.filter((r) => !r.deleted);
  const ids = (rs: Seeded[]) => rs.map((r) => r.id);
  const expectIds = (pred: (r: Seeded) => boolean, pool = active()) =>
    ids(pool.filter(pred).sort(defaultOrder));

  const search = async (body: Record<string, unknown>): Promise<Json> =>
    c.ok('/runs/search', { experiment_ids: [exp], ...body });
  const found = async (filter: string, extra: Record<string, unknown> = {}): Promise<string[]> =>
    ((await search({ filter, ...extra })).runs ?? []).map((r: Json) => r.info.run_id);

  it('seeds as expected', async () => {
    expect(active()).toHaveLength(N);
    expect(runs).toHaveLength(N + 2);
  });

  describe('default order and view types', () => {
    it('no filter: every active run, start_time DESC', async () => {
      const b = await search({});
      expect(b.runs.map((r: Json) => r.info.run_id)).toEqual(expectIds(() => true));
      expect(b).not.toHaveProperty('next_page_token');
    });

    it('run_view_type ACTIVE_ONLY / DELETED_ONLY / ALL', async () => {
      const view = async (v: string) =>
        ((await search({ run_view_type: v })).runs ?? []).map((r: Json) => r.info.run_id);
      expect(await view('ACTIVE_ONLY')).toEqual(expectIds(() => true));
      expect(await view('DELETED_ONLY')).toEqual(expectIds((r) => r.deleted, runs));
      expect(await view('ALL')).toEqual(expectIds(() => true, runs));
      const deleted = await search({ run_view_type: 'DELETED_ONLY' });
      for (const r of deleted.runs) expect(r.info.lifecycle_stage).toBe('deleted');
    });

    it('search results carry the full run (latest metrics, params, tags)', async () => {
      const r7 = runs.find((r) => r.i === 7)!;
      const b = await search({ filter: `attributes.run_id = '${r7.id}'` });
      expect(b.runs).toHaveLength(1);
      const run = b.runs[0];
      expect(run.info).toMatchObject({
        run_id: r7.id,
        run_name: 'run-07',
        status: 'FAILED',
        start_time: r7.start,
      });
      expect(run.data.metrics).toEqual(
        expect.arrayContaining([
          { key: 'acc', value: 0.07, timestamp: r7.start, step: 0 },
          { key: 'loss', value: 93, timestamp: r7.start + 1, step: 1 },
        ]),
      );
      expect(run.data.metrics).toHaveLength(2);
      expect(run.data.params).toEqual(
        expect.arrayContaining([
          { key: 'lr', value: '0.01' },
          { key: 'model', value: 'tree' },
          { key: 'opt', value: 'adam' },
        ]),
      );
      expect(await c.okGet('/runs/get', { run_id: r7.id })).toEqual({ run: run });
    });

    it('multiple experiment_ids search across experiments', async () => {
      const b = await c.ok('/runs/search', { experiment_ids: [exp, exp2], max_results: 1000 });
      expect(b.runs.map((r: Json) => r.info.run_id)).toEqual(ids([...active(), ...other].sort(defaultOrder)));
      const only2 = await c.ok('/runs/search', { experiment_ids: [exp2] });
      expect(only2.runs.map((r: Json) => r.info.run_id)).toEqual(ids([...other].sort(defaultOrder)));
      const both = await c.ok('/runs/search', {
        experiment_ids: [exp, exp2],
        filter: "metrics.acc = 0.5 AND tags.team = 'alpha'",
      });
      const expected = [...active().filter((r) => r.acc === 0.5 && r.team === 'alpha'), ...other].sort(
        defaultOrder,
      );
      expect(both.runs.map((r: Json) => r.info.run_id)).toEqual(ids(expected));
    });

    it('works under /ajax-api/2.0/mlflow', async () => {
      const ajax = client(env.app, AJAX);
      const b = await ajax.ok('/runs/search', { experiment_ids: [exp], filter: "params.lr = '0.1'" });
      expect(b.runs.map((r: Json) => r.info.run_id)).toEqual(expectIds((r) => r.lr === '0.1'));
    });
  });

  describe('metric filters', () => {
    const cases: [string, (r: Seeded) => boolean][] = [
      ['metrics.acc > 0.12', (r) => r.acc !== undefined && r.acc > 0.12],
      ['metrics.acc >= 0.12', (r) => r.acc !== undefined && r.acc >= 0.12],
      ['metrics.acc < 0.12', (r) => r.acc !== undefined && r.acc < 0.12],
      ['metrics.acc <= 0.12', (r) => r.acc !== undefined && r.acc <= 0.12],
      ['metrics.acc = 0.12', (r) => r.acc === 0.12],
      // Runs without the metric never match, not even `!=`.
      ['metrics.acc != 0.12', (r) => r.acc !== undefined && r.acc !== 0.12],
      // Only the latest value counts: the old -1 of loss must not match.
      ['metrics.loss < 0', () => false],
      ['metrics.loss >= 85', (r) => r.loss >= 85],
      ['metric.loss = 90', (r) => r.loss === 90],
      ['metrics.`acc` > 0.25', (r) => r.acc !== undefined && r.acc > 0.25],
      ['metrics."acc" <= 0.01', (r) => r.acc !== undefined && r.acc <= 0.01],
      ['metrics.nonexistent > 0', () => false],
    ];
    it.each(cases)('%s', async (filter, pred) => {
      expect(await found(filter)).toEqual(expectIds(pred));
    });
  });

  describe('param filters', () => {
    const cases: [string, (r: Seeded) => boolean][] = [
      ["params.lr = '0.01'", (r) => r.lr === '0.01'],
      ["params.lr != '0.01'", (r) => r.lr !== '0.01'],
      ["params.opt != 'adam'", (r) => r.opt !== undefined && r.opt !== 'adam'],
      ["params.opt = 'adam'", (r) => r.opt === 'adam'],
      // LIKE is case-sensitive…
      ["params.model LIKE 'lin%'", (r) => r.model === 'linear'],
      ["params.model LIKE 'Lin%'", (r) => r.model === 'Linear'],
      ["params.model LIKE '%ear'", (r) => r.model === 'Linear' || r.model === 'linear'],
      ["params.model LIKE 'LINEAR%'", (r) => r.model === 'LINEAR-v2'],
      ["params.model LIKE 'tre_'", (r) => r.model === 'tree'],
      // …ILIKE is not.
      ["params.model ILIKE 'lin%'", (r) => r.model.toLowerCase().startsWith('lin')],
      ["params.model ILIKE '%EAR'", (r) => r.model.toLowerCase().endsWith('ear')],
      ['params.model = "tree"', (r) => r.model === 'tree'],
      ["param.lr = '0.5'", () => false],
    ];
    it.each(cases)('%s', async (filter, pred) => {
      expect(await found(filter)).toEqual(expectIds(pred));
    });
  });

  describe('tag filters', () => {
    const cases: [string, (r: Seeded) => boolean][] = [
      ["tags.team = 'alpha'", (r) => r.team === 'alpha'],
      ["tags.team != 'alpha'", (r) => r.team !== 'alpha'],
      ["tags.env LIKE 'pr%'", (r) => r.env === 'prod'],
      ["tags.env LIKE 'PR%'", () => false],
      ["tags.env ILIKE 'PR%'", (r) => r.env === 'prod'],
      ["tags.`mlflow.runName` = 'run-05'", (r) => r.name === 'run-05'],
      ["tags.mlflow.runName LIKE 'run-1%'", (r) => r.name.startsWith('run-1')],
    ];
    it.each(cases)('%s', async (filter, pred) => {
      expect(await found(filter)).toEqual(expectIds(pred));
    });
  });

  describe('attribute filters', () => {
    const cases: [string, (r: Seeded) => boolean][] = [
      ["attributes.status = 'FINISHED'", (r) => r.status === 'FINISHED'],
      ["attributes.status != 'RUNNING'", (r) => r.status !== 'RUNNING'],
      ["attributes.status IN ('FAILED', 'KILLED')", (r) => r.status === 'FAILED'],
      ["attributes.status NOT IN ('FAILED', 'FINISHED')", (r) => r.status === 'RUNNING'],
      ["attributes.run_name = 'run-07'", (r) => r.name === 'run-07'],
      ["attributes.run_name LIKE 'run-2%'", (r) => r.name.startsWith('run-2')],
      ["run_name ILIKE 'RUN-0%'", (r) => r.name.startsWith('run-0')],
      [`attributes.start_time >= ${BASE + 20_000}`, (r) => r.start >= BASE + 20_000],
      [`attributes.start_time < ${BASE + 3_000}`, (r) => r.start < BASE + 3_000],
      [`attributes.end_time > ${BASE}`, (r) => r.status !== 'RUNNING'],
    ];
    it.each(cases)('%s', async (filter, pred) => {
      expect(await found(filter)).toEqual(expectIds(pred));
    });

    it('attributes.run_id IN (...)', async () => {
      const pick = active().filter((r) => [2, 9, 17, 28].includes(r.i));
      const list = pick.map((r) => `'${r.id}'`).join(', ');
      expect(await found(`attributes.run_id IN (${list})`)).toEqual(ids([...pick].sort(defaultOrder)));
      expect(await found(`attributes.run_id = '${pick[0]!.id}'`)).toEqual([pick[0]!.id]);
    });
  });

  describe('AND of several clauses', () => {
    const cases: [string, (r: Seeded) => boolean][] = [
      [
        "metrics.acc > 0.1 AND params.lr = '0.01' AND tags.team = 'beta'",
        (r) => r.acc !== undefined && r.acc > 0.1 && r.lr === '0.01' && r.team === 'beta',
      ],
      [
        "attributes.status = 'FAILED' and metrics.loss < 90 and params.model ILIKE 'l%'",
        (r) => r.status === 'FAILED' && r.loss < 90 && r.model.toLowerCase().startsWith('l'),
      ],
      [
        "metrics.acc >= 0.05 AND metrics.acc <= 0.2 AND tags.env = 'dev'",
        (r) => r.acc !== undefined && r.acc >= 0.05 && r.acc <= 0.2 && r.env === 'dev',
      ],
      ["params.opt = 'sgd' AND params.opt = 'adam'", () => false],
    ];
    it.each(cases)('%s', async (filter, pred) => {
      expect(await found(filter)).toEqual(expectIds(pred));
    });
  });

  describe('order_by', () => {
    const ordered = async (orderBy: string[], extra: Record<string, unknown> = {}) =>
      ((await search({ order_by: orderBy, ...extra })).runs ?? []).map((r: Json) => r.info.run_id);

    /** Runs with the value first (sorted by cmp, ties by the default order), then runs without it. */
    const withMissingLast = (has: (r: Seeded) => boolean, cmp: (a: Seeded, b: Seeded) => number) => {
      const present = active()
        .filter(has)
        .sort((a, b) => cmp(a, b) || defaultOrder(a, b));
      const missing = active()
        .filter((r) => !has(r))
        .sort(defaultOrder);
      return ids([...present, ...missing]);
    };

    it('metrics.acc ASC: runs missing the metric come last', async () => {
      expect(await ordered(['metrics.acc ASC'])).toEqual(
        withMissingLast(
          (r) => r.acc !== undefined,
          (a, b) => a.acc! - b.acc!,
        ),
      );
    });

    it('metrics.acc DESC: runs missing the metric still come last', async () => {
      expect(await ordered(['metrics.acc DESC'])).toEqual(
        withMissingLast(
          (r) => r.acc !== undefined,
          (a, b) => b.acc! - a.acc!,
        ),
      );
    });

    it('metrics.loss (default ASC) uses the latest value', async () => {
      expect(await ordered(['metrics.loss'])).toEqual(
        withMissingLast(
          () => true,
          (a, b) => a.loss - b.loss,
        ),
      );
    });

    it('params.lr ASC / DESC with ties broken by start_time DESC', async () => {
      const cmp = (a: Seeded, b: Seeded) => (a.lr < b.lr ? -1 : a.lr > b.lr ? 1 : 0);
      expect(await ordered(['params.lr ASC'])).toEqual(withMissingLast(() => true, cmp));
      expect(await ordered(['params.lr DESC'])).toEqual(
        withMissingLast(
          () => true,
          (a, b) => cmp(b, a),
        ),
      );
    });

    it('params.opt: runs without the param come last in both directions', async () => {
      const has = (r: Seeded) => r.opt !== undefined;
      const cmp = (a: Seeded, b: Seeded) => (a.opt! < b.opt! ? -1 : a.opt! > b.opt! ? 1 : 0);
      expect(await ordered(['params.opt ASC'])).toEqual(withMissingLast(has, cmp));
      expect(await ordered(['params.opt DESC'])).toEqual(withMissingLast(has, (a, b) => cmp(b, a)));
    });

    it('attributes: start_time ASC, run_name DESC', async () => {
      expect(await ordered(['attributes.start_time ASC'])).toEqual(
        ids([...active()].sort((a, b) => a.start - b.start)),
      );
      expect(await ordered(['attributes.run_name DESC'])).toEqual(
        ids([...active()].sort((a, b) => (a.name < b.name ? 1 : -1))),
      );
    });

    it('several keys: tags.team ASC, metrics.loss DESC', async () => {
      const expected = [...active()].sort(
        (a, b) => (a.team < b.team ? -1 : a.team > b.team ? 1 : 0) || b.loss - a.loss,
      );
      expect(await ordered(['tags.team ASC', 'metrics.loss DESC'])).toEqual(ids(expected));
    });

    it('order_by combined with a filter', async () => {
      expect(await ordered(['metrics.acc DESC'], { filter: "params.lr = '0.1'" })).toEqual(
        ids(
          [...active().filter((r) => r.lr === '0.1')].sort(
            (a, b) =>
              (a.acc === undefined ? 1 : 0) - (b.acc === undefined ? 1 : 0) ||
              (b.acc ?? 0) - (a.acc ?? 0) ||
              defaultOrder(a, b),
          ),
        ),
      );
    });
  });

  describe('pagination', () => {
    for (const [label, body, expected] of [
      ['default order', {}, () => expectIds(() => true)],
      [
        'order_by metrics.acc DESC',
        { order_by: ['metrics.acc DESC'] },
        () => {
          const present = active()
            .filter((r) => r.acc !== undefined)
            .sort((a, b) => b.acc! - a.acc!);
          return ids([
            ...present,
            ...active()
              .filter((r) => r.acc === undefined)
              .sort(defaultOrder),
          ]);
        },
      ],
      ['a filter', { filter: "tags.team = 'beta'" }, () => expectIds((r) => r.team === 'beta')],
    ] as [string, Record<string, unknown>, () => string[]][]) {
      it(`max_results=7 + page_token walks all pages (${label}) with no duplicates or misses`, async () => {
        const want = expected();
        const seen: string[] = [];
        const sizes: number[] = [];
        let token: string | undefined;
        for (let page = 0; page < 20; page++) {
          const b = await search({ ...body, max_results: 7, ...(token ? { page_token: token } : {}) });
          const got = (b.runs ?? []).map((r: Json) => r.info.run_id);
          seen.push(...got);
          sizes.push(got.length);
          token = b.next_page_token;
          if (token === undefined) {
            expect(b).not.toHaveProperty('next_page_token');
            break;
          }
        }
        expect(seen).toEqual(want);
        expect(new Set(seen).size).toBe(seen.length);
        const full = Math.floor(want.length / 7);
        expect(sizes.slice(0, full)).toEqual(Array(full).fill(7));
      });
    }

    it('max_results equal to the result count gives no next_page_token', async () => {
      const b = await search({ max_results: N });
      expect(b.runs).toHaveLength(N);
      expect(b).not.toHaveProperty('next_page_token');
      const b2 = await search({ max_results: N - 1 });
      expect(b2.runs).toHaveLength(N - 1);
      expect(typeof b2.next_page_token).toBe('string');
    });

    it('no match → {}', async () => {
      expect(await search({ filter: "params.lr = 'nope'" })).toEqual({});
    });
  });

  describe('errors', () => {
    const bad = [
      'metrics.acc > ',
      "metrics.acc > 'high'",
      "params.lr > '0.1'",
      'params.lr = 0.1',
      "tags.team = 'a' OR tags.team = 'b'",
      "unknown.key = 'x'",
      "attributes.bogus = 'x'",
      'metrics.acc ~ 1',
      'attributes.status IN ()',
      "params.lr = 'unterminated",
    ];
    it.each(bad)('filter %j → 400 INVALID_PARAMETER_VALUE', async (filter) => {
      expectError(
        await c.post('/runs/search', { experiment_ids: [exp], filter }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('bad order_by, max_results, page_token, run_view_type → 400 INVALID_PARAMETER_VALUE', async () => {
      const post = (body: Record<string, unknown>) =>
        c.post('/runs/search', { experiment_ids: [exp], ...body });
      expectError(await post({ order_by: ['metrics.acc SIDEWAYS'] }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await post({ order_by: ['bogus.x'] }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await post({ max_results: 123456789 }), 400, 'INVALID_PARAMETER_VALUE', 'max_results');
      expectError(await post({ max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', 'max_results');
      expectError(await post({ page_token: 'not-a-token' }), 400, 'INVALID_PARAMETER_VALUE', 'page token');
      expectError(await post({ run_view_type: 'SOME' }), 400, 'INVALID_PARAMETER_VALUE', 'run_view_type');
    });
  });
});
