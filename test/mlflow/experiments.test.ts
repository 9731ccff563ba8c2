/**
 * Conformance of the MLflow experiment RPCs (REST API 2.0) with MLflow's documented behaviour:
 * mlflow/protos/service.proto, the REST docs and tests/tracking/test_rest_tracking.py, as
 * summarised in /work/shared/reference/mlflow.md §1.0–1.2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { DIALECTS, testApp } from '../helpers/context.js';
import { AJAX, type Client, client, createExperiment, createRun, expectError, type Json } from './client.js';

const T0 = 1_700_000_000_000;

describe.each(DIALECTS)('MLflow experiments API (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let c: Client;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    env = await testApp(dialect, { clock });
    c = client(env.app);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  describe('default experiment', () => {
    it('experiment "0" named "Default" exists and is active', async () => {
      const b = await c.okGet('/experiments/get', { experiment_id: '0' });
      expect(b.experiment).toMatchObject({
        experiment_id: '0',
        name: 'Default',
        lifecycle_stage: 'active',
        artifact_location: expect.any(String),
      });
      const byName = await c.okGet('/experiments/get-by-name', { experiment_name: 'Default' });
      expect(byName.experiment.experiment_id).toBe('0');
    });

    it('runs created without experiment_id go to experiment "0"', async () => {
      const b = await c.ok('/runs/create', { run_name: 'in-default' });
      expect(b.run.info.experiment_id).toBe('0');
    });
  });

  describe('create / get', () => {
    it('creates an experiment with tags and returns it from get and get-by-name', async () => {
      clock.advance(1000);
      const now = clock.now();
      const id = await createExperiment(c, 'exp-create', {
        tags: [
          { key: 'team', value: 'vision' },
          { key: 'multi', value: 'line1\nline2' },
        ],
      });
      expect(id).toMatch(/^[a-zA-Z0-9][\w-]{0,63}$/);
      const b = await c.okGet('/experiments/get', { experiment_id: id });
      expect(b).toEqual({
        experiment: {
          experiment_id: id,
          name: 'exp-create',
          artifact_location: expect.any(String),
          lifecycle_stage: 'active',
          creation_time: now,
          last_update_time: now,
          tags: expect.arrayContaining([
            { key: 'team', value: 'vision' },
            { key: 'multi', value: 'line1\nline2' },
          ]),
        },
      });
      expect(b.experiment.tags).toHaveLength(2);
      // int64 fields are JSON numbers, not strings.
      expect(typeof b.experiment.creation_time).toBe('number');
      expect(typeof b.experiment.last_update_time).toBe('number');
      const byName = await c.okGet('/experiments/get-by-name', { experiment_name: 'exp-create' });
      expect(byName).toEqual(b);
    });

    it('an experiment without tags has no tags field (unset fields are omitted)', async () => {
      const id = await createExperiment(c, 'exp-no-tags');
      const b = await c.okGet('/experiments/get', { experiment_id: id });
      expect(b.experiment).not.toHaveProperty('tags');
    });

    it('create with a taken name → 400 RESOURCE_ALREADY_EXISTS (not 409)', async () => {
      await createExperiment(c, 'exp-dup');
      expectError(
        await c.post('/experiments/create', { name: 'exp-dup' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'exp-dup',
      );
      expectError(await c.post('/experiments/create', { name: 'Default' }), 400, 'RESOURCE_ALREADY_EXISTS');
    });

    it('create without a name → 400 "Missing value for required parameter \'name\'"', async () => {
      expectError(
        await c.post('/experiments/create', {}),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'",
      );
      expectError(
        await c.post('/experiments/create', { name: 123 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Invalid value 123 for parameter 'name'",
      );
    });

    it('get of an unknown id → 404 RESOURCE_DOES_NOT_EXIST', async () => {
      expectError(
        await c.get('/experiments/get', { experiment_id: '987654321' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('get-by-name of a missing name → 404 RESOURCE_DOES_NOT_EXIST', async () => {
      expectError(
        await c.get('/experiments/get-by-name', { experiment_name: 'no-such-experiment' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'no-such-experiment',
      );
    });

    it('works the same under /ajax-api/2.0/mlflow', async () => {
      const ajax = client(env.app, AJAX);
      const id = await createExperiment(ajax, 'exp-ajax', { tags: [{ key: 'k', value: 'v' }] });
      const viaApi = await c.okGet('/experiments/get', { experiment_id: id });
      const viaAjax = await ajax.okGet('/experiments/get', { experiment_id: id });
      expect(viaAjax).toEqual(viaApi);
      expect(viaAjax.experiment.tags).toEqual([{ key: 'k', value: 'v' }]);
      const byName = await ajax.okGet('/experiments/get-by-name', { experiment_name: 'exp-ajax' });
      expect(byName.experiment.experiment_id).toBe(id);
      expectError(
        await ajax.post('/experiments/create', { name: 'exp-ajax' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
      );
      const search = await ajax.okGet('/experiments/search', { filter: "name = 'exp-ajax'" });
      expect(search.experiments.map((e: Json) => e.experiment_id)).toEqual([id]);
    });
  });

  describe('update (rename)', () => {
    it('renames: new name resolves, old name is gone, last_update_time moves', async () => {
      clock.advance(1000);
      const created = clock.now();
      const id = await createExperiment(c, 'exp-old-name');
      clock.advance(5000);
      expect(await c.ok('/experiments/update', { experiment_id: id, new_name: 'exp-new-name' })).toEqual({});
      const b = await c.okGet('/experiments/get-by-name', { experiment_name: 'exp-new-name' });
      expect(b.experiment).toMatchObject({
        experiment_id: id,
        name: 'exp-new-name',
        creation_time: created,
        last_update_time: created + 5000,
      });
      expectError(
        await c.get('/experiments/get-by-name', { experiment_name: 'exp-old-name' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('renaming onto a taken name → 400 RESOURCE_ALREADY_EXISTS and nothing changes', async () => {
      const a = await createExperiment(c, 'exp-clash-a');
      await createExperiment(c, 'exp-clash-b');
      expectError(
        await c.post('/experiments/update', { experiment_id: a, new_name: 'exp-clash-b' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
      );
      expect((await c.okGet('/experiments/get', { experiment_id: a })).experiment.name).toBe('exp-clash-a');
    });

    it('update of an unknown experiment → 404', async () => {
      expectError(
        await c.post('/experiments/update', { experiment_id: '987654321', new_name: 'whatever' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('delete / restore', () => {
    it('soft-deletes and restores; lifecycle_stage changes and the runs follow', async () => {
      const id = await createExperiment(c, 'exp-lifecycle');
      const r1 = (await createRun(c, id)).info.run_id as string;
      const r2 = (await createRun(c, id)).info.run_id as string;

      expect(await c.ok('/experiments/delete', { experiment_id: id })).toEqual({});
      // Deleted experiments are still returned by get and get-by-name.
      expect((await c.okGet('/experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe(
        'deleted',
      );
      expect(
        (await c.okGet('/experiments/get-by-name', { experiment_name: 'exp-lifecycle' })).experiment
          .lifecycle_stage,
      ).toBe('deleted');
      for (const r of [r1, r2]) {
        expect((await c.okGet('/runs/get', { run_id: r })).run.info.lifecycle_stage).toBe('deleted');
      }
      const activeRuns = await c.ok('/runs/search', { experiment_ids: [id] });
      expect(activeRuns).toEqual({});
      const deletedRuns = await c.ok('/runs/search', { experiment_ids: [id], run_view_type: 'DELETED_ONLY' });
      expect(deletedRuns.runs.map((r: Json) => r.info.run_id).sort()).toEqual([r1, r2].sort());
      // The name stays taken while deleted.
      expectError(
        await c.post('/experiments/create', { name: 'exp-lifecycle' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
      );
      // No new runs in a deleted experiment.
      expectError(await c.post('/runs/create', { experiment_id: id }), 400, 'INVALID_PARAMETER_VALUE');

      expect(await c.ok('/experiments/restore', { experiment_id: id })).toEqual({});
      expect((await c.okGet('/experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe(
        'active',
      );
      for (const r of [r1, r2]) {
        expect((await c.okGet('/runs/get', { run_id: r })).run.info.lifecycle_stage).toBe('active');
      }
    });

    it('delete / restore of an unknown experiment → 404', async () => {
      expectError(
        await c.post('/experiments/delete', { experiment_id: '987654321' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectError(
        await c.post('/experiments/restore', { experiment_id: '987654321' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('experiment tags', () => {
    it('set-experiment-tag sets and overwrites; delete-experiment-tag removes', async () => {
      const id = await createExperiment(c, 'exp-tags');
      expect(
        await c.ok('/experiments/set-experiment-tag', { experiment_id: id, key: 'k1', value: 'v1' }),
      ).toEqual({});
      await c.ok('/experiments/set-experiment-tag', { experiment_id: id, key: 'k2', value: '' });
      await c.ok('/experiments/set-experiment-tag', { experiment_id: id, key: 'k1', value: 'v1b' });
      let e = (await c.okGet('/experiments/get', { experiment_id: id })).experiment;
      expect([...e.tags].sort((a: Json, b: Json) => a.key.localeCompare(b.key))).toEqual([
        { key: 'k1', value: 'v1b' },
        { key: 'k2', value: '' },
      ]);
      expect(await c.ok('/experiments/delete-experiment-tag', { experiment_id: id, key: 'k1' })).toEqual({});
      e = (await c.okGet('/experiments/get', { experiment_id: id })).experiment;
      expect(e.tags).toEqual([{ key: 'k2', value: '' }]);
    });

    it('tags are isolated between experiments', async () => {
      const a = await createExperiment(c, 'exp-iso-a');
      const b = await createExperiment(c, 'exp-iso-b');
      await c.ok('/experiments/set-experiment-tag', { experiment_id: a, key: 'shared', value: 'a' });
      await c.ok('/experiments/set-experiment-tag', { experiment_id: b, key: 'shared', value: 'b' });
      expect((await c.okGet('/experiments/get', { experiment_id: a })).experiment.tags).toEqual([
        { key: 'shared', value: 'a' },
      ]);
      expect((await c.okGet('/experiments/get', { experiment_id: b })).experiment.tags).toEqual([
        { key: 'shared', value: 'b' },
      ]);
    });

    it('deleting a missing tag → 404; a number as tag value → 400', async () => {
      const id = await createExperiment(c, 'exp-tag-errors');
      expectError(
        await c.post('/experiments/delete-experiment-tag', { experiment_id: id, key: 'nope' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectError(
        await c.post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 41 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "'value'",
      );
      expectError(
        await c.post('/experiments/set-experiment-tag', { experiment_id: '987654321', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('search', () => {
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      // 11 active "srch-NN" experiments, 3 deleted "srch-del-N"; tags on a few.
      for (let i = 0; i <= 10; i++) {
        const name = `srch-${String(i).padStart(2, '0')}`;
        const tags = i % 3 === 0 ? [{ key: 'group', value: i % 2 === 0 ? 'even' : 'odd' }] : [];
        ids[name] = await createExperiment(c, name, { tags });
      }
      for (let i = 0; i < 3; i++) {
        const name = `srch-del-${i}`;
        ids[name] = await createExperiment(c, name, { tags: [{ key: 'group', value: 'gone' }] });
        await c.ok('/experiments/delete', { experiment_id: ids[name] });
      }
    });

    const names = (b: Json): string[] => (b.experiments ?? []).map((e: Json) => e.name);

    it('POST and GET forms return the same result', async () => {
      const filter = "name LIKE 'srch-0%'";
      const post = await c.ok('/experiments/search', { filter, order_by: ['name ASC'] });
      const get = await c.okGet('/experiments/search', { filter, order_by: 'name ASC' });
      expect(get).toEqual(post);
      // Repeated fields may also arrive as `key[]=` (rewritten to `key` as MLflow does).
      const bracketed = await c.okGet('/experiments/search', { filter, 'order_by[]': 'name DESC' });
      expect(names(bracketed)).toEqual([...names(post)].reverse());
      expect(names(post)).toEqual(Array.from({ length: 10 }, (_, i) => `srch-${String(i).padStart(2, '0')}`));
    });

    it('filters by name: =, !=, LIKE (case-sensitive), ILIKE', async () => {
      expect(names(await c.ok('/experiments/search', { filter: "name = 'srch-07'" }))).toEqual(['srch-07']);
      expect(names(await c.ok('/experiments/search', { filter: "attribute.name = 'srch-07'" }))).toEqual([
        'srch-07',
      ]);
      const ne = names(
        await c.ok('/experiments/search', {
          filter: "name LIKE 'srch-%' AND name != 'srch-07'",
          order_by: ['name'],
        }),
      );
      expect(ne).toHaveLength(10);
      expect(ne).not.toContain('srch-07');
      expect(names(await c.ok('/experiments/search', { filter: "name LIKE 'SRCH-1%'" }))).toEqual([]);
      expect(names(await c.ok('/experiments/search', { filter: "name ILIKE 'SRCH-1%'" }))).toEqual([
        'srch-10',
      ]);
    });

    it('filters by tags', async () => {
      const even = names(
        await c.ok('/experiments/search', { filter: "tags.group = 'even'", order_by: ['name'] }),
      );
      expect(even).toEqual(['srch-00', 'srch-06']);
      const odd = names(
        await c.ok('/experiments/search', { filter: "tag.group ILIKE '%DD'", order_by: ['name'] }),
      );
      expect(odd).toEqual(['srch-03', 'srch-09']);
      const both = names(
        await c.ok('/experiments/search', {
          filter: "tags.group = 'even' AND name = 'srch-06'",
          order_by: ['name'],
        }),
      );
      expect(both).toEqual(['srch-06']);
    });

    it('order_by name ASC / DESC', async () => {
      const asc = names(
        await c.ok('/experiments/search', { filter: "name LIKE 'srch-%'", order_by: ['name ASC'] }),
      );
      const desc = names(
        await c.ok('/experiments/search', { filter: "name LIKE 'srch-%'", order_by: ['name DESC'] }),
      );
      expect(asc).toEqual([...asc].sort());
      expect(desc).toEqual([...asc].reverse());
      expect(asc).toHaveLength(11);
    });

    it('view_type ACTIVE_ONLY (default) / DELETED_ONLY / ALL', async () => {
      const filter = "name LIKE 'srch-%'";
      const active = names(await c.ok('/experiments/search', { filter, order_by: ['name'] }));
      const active2 = names(
        await c.ok('/experiments/search', { filter, order_by: ['name'], view_type: 'ACTIVE_ONLY' }),
      );
      const deleted = names(
        await c.ok('/experiments/search', { filter, order_by: ['name'], view_type: 'DELETED_ONLY' }),
      );
      const all = names(await c.ok('/experiments/search', { filter, order_by: ['name'], view_type: 'ALL' }));
      expect(active).toHaveLength(11);
      expect(active2).toEqual(active);
      expect(deleted).toEqual(['srch-del-0', 'srch-del-1', 'srch-del-2']);
      expect([...all].sort()).toEqual([...active, ...deleted].sort());
      const viaGet = await c.okGet('/experiments/search', {
        filter,
        view_type: 'DELETED_ONLY',
        order_by: 'name',
      });
      expect(names(viaGet)).toEqual(deleted);
      // Deleted experiments carry lifecycle_stage "deleted".
      const b = await c.ok('/experiments/search', { filter: "name = 'srch-del-0'", view_type: 'ALL' });
      expect(b.experiments[0].lifecycle_stage).toBe('deleted');
    });

    it('an empty result is {} (no experiments, no next_page_token)', async () => {
      expect(await c.ok('/experiments/search', { filter: "name = 'nothing-matches'" })).toEqual({});
    });

    for (const [form, pageSize] of [
      ['POST', 3],
      ['GET', 4],
      ['POST', 1],
    ] as const) {
      it(`max_results=${pageSize} + page_token (${form}) walks every page with no duplicates or misses`, async () => {
        const filter = "name LIKE 'srch-%'";
        const expected = names(
          await c.ok('/experiments/search', { filter, order_by: ['name'], view_type: 'ALL' }),
        );
        expect(expected).toHaveLength(14);
        const seen: string[] = [];
        const sizes: number[] = [];
        let token: string | undefined;
        for (let page = 0; page < 50; page++) {
          const b =
            form === 'POST'
              ? await c.ok('/experiments/search', {
                  filter,
                  order_by: ['name'],
                  view_type: 'ALL',
                  max_results: pageSize,
                  ...(token ? { page_token: token } : {}),
                })
              : await c.okGet('/experiments/search', {
                  filter,
                  order_by: 'name',
                  view_type: 'ALL',
                  max_results: pageSize,
                  page_token: token,
                });
          seen.push(...names(b));
          sizes.push(names(b).length);
          token = b.next_page_token;
          if (token === undefined) {
            expect(b).not.toHaveProperty('next_page_token');
            break;
          }
          expect(typeof token).toBe('string');
          expect(token).not.toBe('');
        }
        expect(seen).toEqual(expected);
        expect(new Set(seen).size).toBe(seen.length);
        const full = Math.floor(14 / pageSize);
        expect(sizes.slice(0, full)).toEqual(Array(full).fill(pageSize));
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(14);
      });
    }

    it('paging without order_by also covers everything exactly once', async () => {
      const all = names(await c.ok('/experiments/search', { view_type: 'ALL' }));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const b: Json = await c.ok('/experiments/search', {
          view_type: 'ALL',
          max_results: 5,
          ...(token ? { page_token: token } : {}),
        });
        seen.push(...names(b));
        token = b.next_page_token;
      } while (token);
      expect(seen).toEqual(all);
      expect(new Set(seen).size).toBe(all.length);
    });

    it('a bad filter or order_by → 400 INVALID_PARAMETER_VALUE', async () => {
      expectError(
        await c.post('/experiments/search', { filter: "name ~ 'x'" }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await c.post('/experiments/search', { filter: 'name = srch' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await c.post('/experiments/search', { order_by: ['tags.group'] }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await c.post('/experiments/search', { view_type: 'SOME' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'view_type',
      );
      expectError(
        await c.get('/experiments/search', { max_results: 'abc' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'max_results',
      );
    });
  });

  describe('wire conventions', () => {
    it('empty responses are exactly {} for every write RPC', async () => {
      const id = await createExperiment(c, 'exp-wire');
      const raw = async (path: string, body: unknown) => (await c.post(path, body)).raw;
      expect(await raw('/experiments/set-experiment-tag', { experiment_id: id, key: 'a', value: 'b' })).toBe(
        '{}',
      );
      expect(await raw('/experiments/delete-experiment-tag', { experiment_id: id, key: 'a' })).toBe('{}');
      expect(await raw('/experiments/update', { experiment_id: id, new_name: 'exp-wire-2' })).toBe('{}');
      expect(await raw('/experiments/delete', { experiment_id: id })).toBe('{}');
      expect(await raw('/experiments/restore', { experiment_id: id })).toBe('{}');
    });

    it('responses are JSON with snake_case fields and an application/json content type', async () => {
      const r = await c.get('/experiments/get', { experiment_id: '0' });
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(r.body.experiment).sort()).toEqual(
        [
          'artifact_location',
          'creation_time',
          'experiment_id',
          'last_update_time',
          'lifecycle_stage',
          'name',
        ].sort(),
      );
      expect(r.raw).toMatch(/"creation_time":\d+/);
      expect(r.raw).not.toMatch(/"creation_time":"/);
    });
  });
});
