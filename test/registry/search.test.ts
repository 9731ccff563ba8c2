import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import {
  checkMaxResults,
  latestVersionsByStage,
  parseModelFilter,
  parseModelOrderBy,
  parseVersionFilter,
  parseVersionOrderBy,
  SEARCH_LIMITS,
  searchModels,
  searchVersions,
} from '../../src/registry/search.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';

/** Asserts `fn` throws INVALID_PARAMETER_VALUE and the message contains every fragment. */
function expectInvalid(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isKeelError(caught), `expected a KeelError, got ${String(caught)}`).toBe(true);
  if (!isKeelError(caught)) return;
  expect(caught.code).toBe('INVALID_PARAMETER_VALUE');
  expect(caught.status).toBe(400);
  for (const f of fragments) expect(caught.message).toContain(f);
}

describe('parseModelFilter', () => {
  it('returns no clauses for a missing or blank filter', () => {
    expect(parseModelFilter(undefined)).toEqual([]);
    expect(parseModelFilter('')).toEqual([]);
    expect(parseModelFilter('   ')).toEqual([]);
  });

  it.each([
    ["name = 'credit'", '=', 'credit'],
    ["name != 'credit'", '!=', 'credit'],
    ["name LIKE '%cred%'", 'LIKE', '%cred%'],
    ["name like '%cred%'", 'LIKE', '%cred%'],
    ["name ILIKE '%CRED%'", 'ILIKE', '%CRED%'],
    ['name = "double"', '=', 'double'],
    ["attribute.name = 'x'", '=', 'x'],
    ["attributes.name = 'x'", '=', 'x'],
  ])('%s', (filter, comparator, value) => {
    expect(parseModelFilter(filter)).toEqual([{ kind: 'attribute', key: 'name', comparator, value }]);
  });

  it('reads name IN lists', () => {
    expect(parseModelFilter("name IN ('a', 'b')")).toEqual([
      { kind: 'attribute', key: 'name', comparator: 'IN', value: ['a', 'b'] },
    ]);
    expect(parseModelFilter("name NOT IN ('a')")).toMatchObject([{ comparator: 'NOT IN', value: ['a'] }]);
  });

  it('reads tag clauses, with dotted and quoted keys, joined by AND', () => {
    expect(
      parseModelFilter("tags.team = 'risk' and tag.`owner name` LIKE 'a%' AND tags.mlflow.source != 'x'"),
    ).toEqual([
      { kind: 'tag', key: 'team', comparator: '=', value: 'risk' },
      { kind: 'tag', key: 'owner name', comparator: 'LIKE', value: 'a%' },
      { kind: 'tag', key: 'mlflow.source', comparator: '!=', value: 'x' },
    ]);
  });

  it('rejects unknown attributes, naming the key and the valid ones', () => {
    expectInvalid(() => parseModelFilter("run_id = 'x'"), "Invalid attribute key 'run_id'", "['name']");
    expectInvalid(() => parseModelFilter("description = 'x'"), "'description'");
  });

  it('rejects unknown entity types', () => {
    expectInvalid(() => parseModelFilter("params.a = 'x'"), "Invalid entity type 'params'");
  });

  it('rejects comparators the key does not take', () => {
    expectInvalid(() => parseModelFilter("name > 'a'"), "Invalid comparator '>'", "attribute 'name'");
    expectInvalid(() => parseModelFilter("tags.a IN ('x')"), "Invalid comparator 'IN'", "tag 'a'");
    expectInvalid(() => parseModelFilter("name ~ 'a'"), "Invalid comparator '~'");
  });

  it('rejects unquoted values, naming the token', () => {
    expectInvalid(() => parseModelFilter('name = credit'), 'Expected a quoted string value', 'credit');
    expectInvalid(() => parseModelFilter('tags.a = 5'), 'Expected a quoted string value', '5');
    expectInvalid(() => parseModelFilter('name ='), 'Got value nothing');
  });

  it('rejects OR and trailing garbage', () => {
    expectInvalid(() => parseModelFilter("name = 'a' OR name = 'b'"), "'OR'", 'OR is not supported');
    expectInvalid(() => parseModelFilter("name = 'a' name = 'b'"), "'name = 'b''");
    expectInvalid(() => parseModelFilter("name = 'a' AND"), "Expected a comparison after 'AND'");
  });

  it('rejects an unterminated string', () => {
    expectInvalid(() => parseModelFilter("name = 'abc"), 'Unterminated string');
  });
});

describe('parseVersionFilter', () => {
  it('maps source_path to source and version_number to version', () => {
    expect(
      parseVersionFilter(
        "name = 'm' AND run_id = 'r1' AND source_path LIKE 'runs:/%' AND version_number >= 2 AND tags.k = 'v'",
      ),
    ).toEqual([
      { kind: 'attribute', key: 'name', comparator: '=', value: 'm' },
      { kind: 'attribute', key: 'run_id', comparator: '=', value: 'r1' },
      { kind: 'attribute', key: 'source', comparator: 'LIKE', value: 'runs:/%' },
      { kind: 'attribute', key: 'version', comparator: '>=', value: 2 },
      { kind: 'tag', key: 'k', comparator: '=', value: 'v' },
    ]);
  });

  it('accepts version_number as a quoted integer, as MLflow does', () => {
    expect(parseVersionFilter("version_number = '3'")).toMatchObject([{ key: 'version', value: 3 }]);
  });

  it.each(['=', '!=', '<', '<=', '>', '>='])('version_number takes %s', (op) => {
    expect(parseVersionFilter(`version_number ${op} 1`)).toMatchObject([{ comparator: op, value: 1 }]);
  });

  it('reads run_id IN and name IN lists', () => {
    expect(parseVersionFilter("run_id IN ('a','b')")).toMatchObject([
      { comparator: 'IN', value: ['a', 'b'] },
    ]);
    expect(parseVersionFilter("name in ('m')")).toMatchObject([{ key: 'name', comparator: 'IN' }]);
  });

  it('rejects bad values and comparators', () => {
    expectInvalid(() => parseVersionFilter("version_number LIKE '1'"), "Invalid comparator 'LIKE'");
    expectInvalid(() => parseVersionFilter('version_number = 1.5'), 'Expected an integer', '1.5');
    expectInvalid(() => parseVersionFilter("version_number = 'one'"), 'Expected an integer', "'one'");
    expectInvalid(() => parseVersionFilter("run_id IN ('a' 'b')"), "Expected ',' or ')'");
    expectInvalid(() => parseVersionFilter('run_id IN ()'), 'Expected a quoted string', "')'");
    expectInvalid(
      () => parseVersionFilter("current_stage = 'None'"),
      "Invalid attribute key 'current_stage'",
    );
  });
});

describe('order_by', () => {
  it('registered models: name tie-breaker appended unless given', () => {
    expect(parseModelOrderBy(undefined)).toEqual([{ key: 'name', ascending: true }]);
    expect(parseModelOrderBy(['last_updated_timestamp DESC'])).toEqual([
      { key: 'updated_at', ascending: false },
      { key: 'name', ascending: true },
    ]);
    expect(parseModelOrderBy(['timestamp'])).toEqual([
      { key: 'updated_at', ascending: true },
      { key: 'name', ascending: true },
    ]);
    expect(parseModelOrderBy(['name desc'])).toEqual([{ key: 'name', ascending: false }]);
  });

  it('model versions: default last_updated DESC, then name ASC, version DESC', () => {
    expect(parseVersionOrderBy(undefined)).toEqual([
      { key: 'updated_at', ascending: false },
      { key: 'name', ascending: true },
      { key: 'version', ascending: false },
    ]);
    expect(parseVersionOrderBy(['version_number ASC'])).toEqual([
      { key: 'version', ascending: true },
      { key: 'name', ascending: true },
    ]);
  });

  it('rejects unknown keys, tags, bad directions and duplicates', () => {
    expectInvalid(() => parseModelOrderBy(['run_id']), "Invalid attribute key 'run_id'");
    expectInvalid(() => parseModelOrderBy(['tags.a']), "Invalid entity type 'tags'");
    expectInvalid(() => parseModelOrderBy(['name UP']), "Expected ASC or DESC, found 'UP'");
    expectInvalid(() => parseModelOrderBy(['name ASC extra']), "unexpected 'extra'");
    expectInvalid(() => parseModelOrderBy(['']), 'Could not be parsed');
    expectInvalid(
      () => parseModelOrderBy(['timestamp', 'last_updated_timestamp DESC']),
      '`order_by` contains duplicate fields',
    );
    expectInvalid(() => parseVersionOrderBy(['current_stage']), "Invalid attribute key 'current_stage'");
  });
});

describe('checkMaxResults', () => {
  it('defaults and bounds per MLflow', () => {
    expect(checkMaxResults(undefined, SEARCH_LIMITS.models)).toBe(100);
    expect(checkMaxResults(1000, SEARCH_LIMITS.models)).toBe(1000);
    expect(checkMaxResults(undefined, SEARCH_LIMITS.versions)).toBe(200_000);
    expectInvalid(() => checkMaxResults(1001, SEARCH_LIMITS.models), 'It must be at most 1000', '1001');
    expectInvalid(() => checkMaxResults(0, SEARCH_LIMITS.models), 'positive integer');
    expectInvalid(() => checkMaxResults(200_001, SEARCH_LIMITS.versions), 'at most 200000');
  });
});

describe.each(DIALECTS)('registry search queries at scale (%s)', (dialect) => {
  let env: TestEnv;
  const N = 1500;
  const name = (i: number) => `bulk-${String(i).padStart(4, '0')}`;

  beforeAll(async () => {
    env = await testEnv(dialect);
    const db = env.ctx.store.db;
    const version = (model: string, v: number, stage: string) => ({
      name: model,
      version: v,
      created_at: v,
      updated_at: v,
      created_by: 'test',
      description: '',
      source: `s3://b/${model}/${v}`,
      run_id: null,
      run_link: '',
      status: 'READY',
      current_stage: stage,
      onnx_sha256: null,
      onnx_size: null,
      signature: null,
      feature_schema: null,
      datasets: '[]',
      metrics: '{}',
      params: '{}',
      approval_status: 'pending',
      approval_actor: null,
      approval_reason: null,
      approval_time: null,
    });
    for (let i = 0; i < N; i += 250) {
      const models = Array.from({ length: Math.min(250, N - i) }, (_, k) => name(i + k));
      await db
        .insertInto('registered_models')
        .values(
          models.map((m, k) => ({
            name: m,
            description: '',
            created_at: i + k,
            updated_at: i + k,
            created_by: 'test',
            last_version: 3,
          })),
        )
        .execute();
      // Versions 1 (Production), 2 (None), 3 (None): latest per stage is 1 and 3.
      await db
        .insertInto('model_versions')
        .values(
          models.flatMap((m) => [version(m, 1, 'Production'), version(m, 2, 'None'), version(m, 3, 'None')]),
        )
        .execute();
      await db
        .insertInto('registered_model_tags')
        .values(models.map((m, k) => ({ name: m, key: 'parity', value: (i + k) % 2 === 0 ? 'even' : 'odd' })))
        .execute();
    }
  }, 120_000);
  afterAll(async () => {
    await env?.cleanup();
  });

  it('latestVersionsByStage answers for every model in one call, stages ordered by first version', async () => {
    const names = Array.from({ length: N }, (_, i) => name(i));
    const latest = await latestVersionsByStage(env.ctx.store.db, names);
    expect(latest.size).toBe(N);
    for (const n of names) {
      expect(latest.get(n)!.map((v) => [v.version, v.stage])).toEqual([
        [1, 'Production'],
        [3, 'None'],
      ]);
    }
    expect(await latestVersionsByStage(env.ctx.store.db, [])).toEqual(new Map());
    expect((await latestVersionsByStage(env.ctx.store.db, ['no-such'])).get('no-such')).toEqual([]);
  });

  it('searchModels pages 1000 at a time with tag filters', async () => {
    const p1 = await searchModels(env.ctx, { maxResults: 1000 });
    expect(p1.items).toHaveLength(1000);
    expect(p1.items[0]!.name).toBe(name(0));
    expect(p1.items[0]!.latestVersion).toBe(3);
    const p2 = await searchModels(env.ctx, { maxResults: 1000, pageToken: p1.nextPageToken });
    expect(p2.items).toHaveLength(N - 1000);
    expect(p2.nextPageToken).toBeUndefined();
    const odd = await searchModels(env.ctx, {
      filter: "tags.parity = 'odd' AND name LIKE 'bulk-00%'",
      orderBy: ['creation_timestamp DESC'],
    });
    expect(odd.items.map((m) => m.name)).toEqual(Array.from({ length: 50 }, (_, k) => name(99 - 2 * k)));
  });

  it('searchVersions returns every version by default (MLflow default 200,000)', async () => {
    const all = await searchVersions(env.ctx, {});
    expect(all.items).toHaveLength(3 * N);
    expect(all.nextPageToken).toBeUndefined();
    // Default order: last_updated DESC, then name ASC, then version DESC.
    expect(all.items.slice(0, 2).map((v) => `${v.name}/${v.version}`)).toEqual([
      `${name(0)}/3`,
      `${name(1)}/3`,
    ]);
    const some = await searchVersions(env.ctx, {
      filter: "name IN ('bulk-0001', 'bulk-0002') AND version_number != 2",
      orderBy: ['name', 'version_number'],
    });
    expect(some.items.map((v) => `${v.name}/${v.version}`)).toEqual([
      'bulk-0001/1',
      'bulk-0001/3',
      'bulk-0002/1',
      'bulk-0002/3',
    ]);
  });
});
