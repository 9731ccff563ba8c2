import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import {
  type Clause,
  type Comparator,
  type EntityKind,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from '../../src/tracking/search/filter.js';

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

const one = (filter: string): Clause => {
  const clauses = parseRunFilter(filter);
  expect(clauses).toHaveLength(1);
  return clauses[0]!;
};

describe('parseRunFilter: identifiers', () => {
  it('returns no clauses for empty, whitespace-only or missing filters', () => {
    expect(parseRunFilter(undefined)).toEqual([]);
    expect(parseRunFilter('')).toEqual([]);
    expect(parseRunFilter('  \t\n ')).toEqual([]);
  });

  it.each([
    ['metric.acc > 1', 'metric'],
    ['metrics.acc > 1', 'metric'],
    ["param.acc = 'x'", 'param'],
    ["params.acc = 'x'", 'param'],
    ["parameter.acc = 'x'", 'param'],
    ["parameters.acc = 'x'", 'param'],
    ["tag.acc = 'x'", 'tag'],
    ["tags.acc = 'x'", 'tag'],
  ])('prefix alias %s → %s', (filter, kind) => {
    expect(one(filter)).toMatchObject({ kind, key: 'acc' });
  });

  it.each(['attribute', 'attributes', 'attr', 'run'])('attribute prefix %s', (prefix) => {
    expect(one(`${prefix}.status = 'FINISHED'`)).toEqual({
      kind: 'attribute',
      key: 'status',
      comparator: '=',
      value: 'FINISHED',
    });
  });

  it.each(['dataset', 'datasets'])('dataset prefix %s', (prefix) => {
    expect(one(`${prefix}.digest = 'abc'`)).toEqual({
      kind: 'dataset',
      key: 'digest',
      comparator: '=',
      value: 'abc',
    });
  });

  it('treats a bare identifier as an attribute', () => {
    expect(one("status = 'RUNNING'")).toMatchObject({ kind: 'attribute', key: 'status' });
    expect(one('end_time <= 5')).toMatchObject({ kind: 'attribute', key: 'end_time', value: 5 });
  });

  it('quotes keys with double quotes or backticks', () => {
    expect(one('metrics."my metric" > 0.5')).toMatchObject({ kind: 'metric', key: 'my metric' });
    expect(one("params.`lr rate` = '0.1'")).toMatchObject({ kind: 'param', key: 'lr rate' });
    expect(one('tags."mlflow.runName" = \'r\'')).toMatchObject({ kind: 'tag', key: 'mlflow.runName' });
    expect(one('metrics."1st-loss" < 2')).toMatchObject({ key: '1st-loss' });
    expect(one('metrics . "spaced" < 2')).toMatchObject({ key: 'spaced' });
    expect(one('metrics."say ""hi""" < 2')).toMatchObject({ key: 'say "hi"' });
    expect(one('metrics.`a``b` < 2')).toMatchObject({ key: 'a`b' });
  });

  it('keeps dots after the prefix as part of an unquoted key', () => {
    expect(one("tags.mlflow.user = 'me'")).toMatchObject({ kind: 'tag', key: 'mlflow.user' });
    expect(one('metrics.a.b.c = 1')).toMatchObject({ kind: 'metric', key: 'a.b.c' });
  });

  it('canonicalizes attribute aliases, bare or prefixed, quoted or not', () => {
    expect(one('"run name" = \'x\'')).toMatchObject({ kind: 'attribute', key: 'run_name' });
    expect(one("`Run name` = 'x'")).toMatchObject({ key: 'run_name' });
    expect(one("attributes.`Run Name` LIKE 'x%'")).toMatchObject({ key: 'run_name', comparator: 'LIKE' });
    expect(one("run_name = 'x'")).toMatchObject({ key: 'run_name' });
    expect(one('created > 1')).toMatchObject({ key: 'start_time', value: 1 });
    expect(one('attributes.Created > 1')).toMatchObject({ key: 'start_time' });
  });
});

describe('parseRunFilter: comparators per kind', () => {
  const numeric: Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
  it.each(numeric)('metric %s', (op) => {
    expect(one(`metrics.acc ${op} 0.5`)).toEqual({ kind: 'metric', key: 'acc', comparator: op, value: 0.5 });
  });
  it.each(numeric)('numeric attribute start_time %s', (op) => {
    expect(one(`start_time ${op} 1700000000000`)).toMatchObject({ comparator: op, value: 1700000000000 });
  });
  it('accepts comparators without surrounding spaces', () => {
    expect(parseRunFilter("metrics.a>=1 and params.b!='x' and end_time<-1")).toEqual([
      { kind: 'metric', key: 'a', comparator: '>=', value: 1 },
      { kind: 'param', key: 'b', comparator: '!=', value: 'x' },
      { kind: 'attribute', key: 'end_time', comparator: '<', value: -1 },
    ]);
  });
  it.each(['=', '!=', 'LIKE', 'ILIKE', 'like', 'iLike'])('param %s', (op) => {
    expect(one(`params.model ${op} 'lin%'`)).toMatchObject({ comparator: op.toUpperCase(), value: 'lin%' });
  });
  it.each(['=', '!=', 'LIKE', 'ILIKE'])('tag %s', (op) => {
    expect(one(`tags.team ${op} "ml"`)).toMatchObject({ kind: 'tag', comparator: op, value: 'ml' });
  });
  it.each(['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'])(
    'string attribute %s takes = != LIKE ILIKE IN NOT IN',
    (key) => {
      for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
        expect(one(`attributes.${key} ${op} 'v'`)).toEqual({
          kind: 'attribute',
          key,
          comparator: op,
          value: 'v',
        });
      }
      expect(one(`${key} IN ('a', 'b')`)).toMatchObject({ comparator: 'IN', value: ['a', 'b'] });
      expect(one(`${key} not in ('a')`)).toMatchObject({ comparator: 'NOT IN', value: ['a'] });
    },
  );
  it.each(['name', 'digest', 'context'])('dataset %s takes string and list comparators', (key) => {
    for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
      expect(one(`datasets.${key} ${op} 'v'`)).toMatchObject({ kind: 'dataset', key, comparator: op });
    }
    expect(one(`datasets.${key} IN ('a','b')`)).toMatchObject({ comparator: 'IN', value: ['a', 'b'] });
    expect(one(`datasets.${key} NOT IN ("a")`)).toMatchObject({ comparator: 'NOT IN', value: ['a'] });
  });
  it('allows IN / NOT IN on tags', () => {
    expect(one("tags.env IN ('dev', 'prod')")).toMatchObject({
      kind: 'tag',
      comparator: 'IN',
      value: ['dev', 'prod'],
    });
    expect(one("tags.env NOT IN ('dev')")).toMatchObject({ comparator: 'NOT IN', value: ['dev'] });
  });
});

describe('parseRunFilter: AND, numbers and strings', () => {
  it.each(['AND', 'and', 'And', 'aNd'])('joins with %s', (and) => {
    expect(parseRunFilter(`metrics.a > 1 ${and} params.b = 'x'  ${and}\ttags.c = 'y'`)).toHaveLength(3);
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['-3', -3],
    ['0.25', 0.25],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['1.5E-3', 0.0015],
    ['-2e+2', -200],
  ])('parses number %s', (text, value) => {
    expect(one(`metrics.m = ${text}`).value).toBe(value);
  });

  it.each([
    [`'it"s'`, 'it"s'],
    [`"it's"`, "it's"],
    [`'it''s'`, "it's"],
    [`'it\\'s'`, "it's"],
    [`"say ""hi"""`, 'say "hi"'],
    [`"say \\"hi\\""`, 'say "hi"'],
    [`'a\\\\b'`, 'a\\b'],
    [`'100\\%'`, '100\\%'],
    [`''`, ''],
    [`'AND x = 1'`, 'AND x = 1'],
  ])('parses string %s', (text, value) => {
    expect(one(`params.p = ${text}`).value).toBe(value);
  });

  it('parses IN lists with either quote and loose spacing', () => {
    expect(one(`run_id IN ( 'a' ,"b",'c''d' )`).value).toEqual(['a', 'b', "c'd"]);
  });
});

describe('parseRunFilter: errors', () => {
  it('rejects OR', () => {
    expectInvalid(() => parseRunFilter('metrics.a > 1 OR metrics.b < 2'), "'OR'", 'OR is not supported');
    expectInvalid(() => parseRunFilter("params.a = 'x' or params.b = 'y'"), "'or'");
  });

  it.each([
    [
      'metrics.acc ~ 1',
      "Invalid comparator '~' for metric 'acc'. Expected one of ['<', '<=', '>', '>=', '=', '!=']",
    ],
    ["metrics.acc LIKE '1'", "Invalid comparator 'LIKE' for metric 'acc'"],
    ['metrics.acc == 1', "Invalid comparator '=='"],
    ['metrics.acc <> 1', "Invalid comparator '<>'"],
    ["params.p > 'x'", "Invalid comparator '>' for param 'p'. Expected one of ['=', '!=', 'LIKE', 'ILIKE']"],
    ["params.p IN ('x')", "Invalid comparator 'IN' for param 'p'"],
    ["tags.t < 'x'", "Invalid comparator '<' for tag 't'"],
    ["tags.t RLIKE 'x'", "Invalid comparator 'RLIKE' for tag 't'"],
    ["status > 'x'", "Invalid comparator '>' for attribute 'status'"],
    ["start_time LIKE '1'", "Invalid comparator 'LIKE' for attribute 'start_time'"],
    ["start_time IN ('1')", "Invalid comparator 'IN' for attribute 'start_time'"],
    ["datasets.name >= 'x'", "Invalid comparator '>=' for dataset 'name'"],
    ["tags.t NOT LIKE 'x'", "Invalid comparator 'NOT LIKE' for tag 't'"],
  ])('bad comparator: %s', (filter, message) => {
    expectInvalid(() => parseRunFilter(filter), message);
  });

  it('requires quoted string values, in MLflow wording', () => {
    expectInvalid(
      () => parseRunFilter('params.x = 1'),
      'Parameter value is either not quoted or unidentified quote types used for string value 1. ' +
        'Use either single or double quotes.',
    );
    expectInvalid(() => parseRunFilter('tags.x = abc'), 'string value abc');
    expectInvalid(() => parseRunFilter('status = `RUNNING`'), 'string value `RUNNING`');
  });

  it('requires numeric values for metrics and numeric attributes', () => {
    expectInvalid(
      () => parseRunFilter("metrics.a > '1'"),
      "Expected a numeric value for metric 'a'. Found '1'",
    );
    expectInvalid(() => parseRunFilter('start_time > 1abc'), "attribute 'start_time'. Found 1abc");
  });

  it('reports unterminated strings', () => {
    expectInvalid(() => parseRunFilter("params.a = 'abc"), 'Unterminated string', "'abc");
    expectInvalid(() => parseRunFilter('metrics."abc > 1'), 'Unterminated string');
    expectInvalid(() => parseRunFilter("params.a = 'abc\\'"), 'Unterminated string');
  });

  it('reports unknown attributes, entity types and dataset keys', () => {
    expectInvalid(
      () => parseRunFilter("foo = 'x'"),
      "Invalid attribute key 'foo' specified. Valid keys are [",
      "'run_id'",
    );
    expectInvalid(() => parseRunFilter("attributes.run_uuid = 'x'"), "Invalid attribute key 'run_uuid'");
    expectInvalid(
      () => parseRunFilter('metricz.a > 1'),
      "Invalid entity type 'metricz'",
      "'metric', 'parameter'",
    );
    expectInvalid(() => parseRunFilter("datasets.size = 'x'"), "Invalid dataset key 'size'");
  });

  it('reports trailing garbage', () => {
    expectInvalid(
      () => parseRunFilter('metrics.a > 1 metrics.b < 2'),
      "Invalid clause(s) in filter string: 'metrics.b < 2'",
    );
    expectInvalid(() => parseRunFilter("params.a = 'x' 'y'"), "'y'");
    expectInvalid(() => parseRunFilter('metrics.a > 1)'), "')'");
  });

  it('reports missing values, comparators and identifiers', () => {
    expectInvalid(
      () => parseRunFilter('metrics.a > '),
      "Invalid filter 'metrics.a > '. Expected a value",
      "metric 'a'",
    );
    expectInvalid(() => parseRunFilter('params.a ='), "Expected a value for param 'a'");
    expectInvalid(() => parseRunFilter('metrics.a'), "Expected a comparator after 'metrics.a'");
    expectInvalid(() => parseRunFilter('metrics.a 5'), "Expected a comparator after 'metrics.a', found '5'");
    expectInvalid(() => parseRunFilter('metrics.a > 1 AND'), "Expected a comparison after 'AND'");
    expectInvalid(() => parseRunFilter('(metrics.a > 1)'), 'Expected an identifier', "found '('");
    expectInvalid(() => parseRunFilter("'status' = 'x'"), 'Expected an identifier', `found ''status''`);
  });

  it('reports malformed identifiers', () => {
    expectInvalid(() => parseRunFilter('metrics."" > 1'), 'The key must not be empty');
    expectInvalid(() => parseRunFilter("tags.'x' = 'y'"), "Invalid identifier 'tags.'x''");
    expectInvalid(
      () => parseRunFilter('metrics.cross-entropy > 1'),
      "Unexpected character '-'",
      'must be quoted',
    );
    expectInvalid(() => parseRunFilter('metrics.a > 1; DROP TABLE runs'), "Unexpected character ';'");
  });

  it('reports malformed IN lists', () => {
    expectInvalid(
      () => parseRunFilter("run_id IN 'a'"),
      "Expected a list like ('a', 'b') after IN",
      "found ''a''",
    );
    expectInvalid(
      () => parseRunFilter('run_id IN ()'),
      'expected a non-empty list of string values, but got empty list',
    );
    expectInvalid(() => parseRunFilter('run_id IN (1, 2)'), "but got '1'");
    expectInvalid(() => parseRunFilter("run_id IN ('a' 'b')"), "expected ',' or ')' but got ''b''");
    expectInvalid(() => parseRunFilter("run_id IN ('a',"), 'an unclosed list');
    expectInvalid(() => parseRunFilter("run_id IN ('a'"), 'an unclosed list');
  });

  it('errors are KeelErrors with INVALID_PARAMETER_VALUE', () => {
    expectInvalid(() => parseRunFilter('metrics.a ~ 1'));
  });
});

describe('parseExperimentFilter', () => {
  it('parses name, time attributes and tags', () => {
    expect(
      parseExperimentFilter(
        "name LIKE 'exp%' AND attributes.creation_time > 5 and last_update_time <= 1.5e3 AND tags.`team x` = 'a'",
      ),
    ).toEqual([
      { kind: 'attribute', key: 'name', comparator: 'LIKE', value: 'exp%' },
      { kind: 'attribute', key: 'creation_time', comparator: '>', value: 5 },
      { kind: 'attribute', key: 'last_update_time', comparator: '<=', value: 1500 },
      { kind: 'tag', key: 'team x', comparator: '=', value: 'a' },
    ]);
    expect(parseExperimentFilter('  ')).toEqual([]);
    for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
      expect(parseExperimentFilter(`tag.k ${op} 'v'`)).toEqual([
        { kind: 'tag', key: 'k', comparator: op, value: 'v' },
      ]);
      expect(parseExperimentFilter(`attribute.name ${op} 'v'`)[0]).toMatchObject({ comparator: op });
    }
  });

  it('rejects run-only entities, attributes and comparators', () => {
    expectInvalid(
      () => parseExperimentFilter('metrics.a > 1'),
      "Invalid entity type 'metrics'",
      "['attribute', 'tag']",
    );
    expectInvalid(() => parseExperimentFilter("run_name = 'x'"), "Invalid attribute key 'run_name'");
    expectInvalid(
      () => parseExperimentFilter("experiment_id = '1'"),
      "Invalid attribute key 'experiment_id'",
    );
    expectInvalid(
      () => parseExperimentFilter("name IN ('a')"),
      "Invalid comparator 'IN' for attribute 'name'",
    );
    expectInvalid(() => parseExperimentFilter("tags.t IN ('a')"), "Invalid comparator 'IN' for tag 't'");
    expectInvalid(() => parseExperimentFilter("creation_time LIKE '1'"), "Invalid comparator 'LIKE'");
    expectInvalid(() => parseExperimentFilter("name = 'a' OR name = 'b'"), 'OR is not supported');
    expectInvalid(() => parseExperimentFilter('name = a'), 'not quoted');
  });
});

describe('order_by', () => {
  it.each([
    ['metrics.rmse DESC', { kind: 'metric', key: 'rmse', ascending: false }],
    ['metric.rmse', { kind: 'metric', key: 'rmse', ascending: true }],
    ['params.lr', { kind: 'param', key: 'lr', ascending: true }],
    ['attributes.start_time DESC', { kind: 'attribute', key: 'start_time', ascending: false }],
    ['start_time', { kind: 'attribute', key: 'start_time', ascending: true }],
    ['created desc', { kind: 'attribute', key: 'start_time', ascending: false }],
    ['tags."x y" ASC', { kind: 'tag', key: 'x y', ascending: true }],
    ['tags.mlflow.runName asc', { kind: 'tag', key: 'mlflow.runName', ascending: true }],
    ['  `run name`   Desc ', { kind: 'attribute', key: 'run_name', ascending: false }],
  ])('run order_by %s', (clause, expected) => {
    expect(parseRunOrderBy(clause)).toEqual(expected);
  });

  it.each([
    ['name', { kind: 'attribute', key: 'name', ascending: true }],
    ['experiment_id DESC', { kind: 'attribute', key: 'experiment_id', ascending: false }],
    ['attributes.creation_time asc', { kind: 'attribute', key: 'creation_time', ascending: true }],
    ['last_update_time DESC', { kind: 'attribute', key: 'last_update_time', ascending: false }],
  ])('experiment order_by %s', (clause, expected) => {
    expect(parseExperimentOrderBy(clause)).toEqual(expected);
  });

  it('rejects malformed clauses', () => {
    expectInvalid(() => parseRunOrderBy(''), "Invalid order_by clause ''. Could not be parsed");
    expectInvalid(
      () => parseRunOrderBy('metrics.a up'),
      "Invalid ordering key in order_by clause 'metrics.a up'",
      "'up'",
    );
    expectInvalid(() => parseRunOrderBy('metrics.a DESC extra'), 'Could not be parsed', "'extra'");
    expectInvalid(() => parseRunOrderBy('metrics.a, metrics.b'), "unexpected ', metrics.b'");
    expectInvalid(() => parseRunOrderBy('foo DESC'), "Invalid attribute key 'foo'");
    expectInvalid(() => parseRunOrderBy('datasets.name'), "Invalid order_by entity type 'dataset'");
    expectInvalid(
      () => parseRunOrderBy('tags."x'),
      "Invalid order_by clause 'tags.\"x'",
      'Unterminated string',
    );
    expectInvalid(() => parseExperimentOrderBy('tags.t'), "Invalid order_by entity type 'tag'");
    expectInvalid(() => parseExperimentOrderBy('start_time'), "Invalid attribute key 'start_time'");
    expectInvalid(() => parseExperimentOrderBy('metrics.a'), "Invalid entity type 'metrics'");
  });
});

describe('round trip (property)', () => {
  const PREFIXES: Record<Exclude<EntityKind, 'attribute'>, string[]> = {
    metric: ['metric', 'metrics'],
    param: ['param', 'params', 'parameter', 'parameters'],
    tag: ['tag', 'tags'],
    dataset: ['dataset', 'datasets'],
  };
  const NUMERIC_OPS: Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
  const STRING_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
  const LIST_OPS: Comparator[] = [...STRING_OPS, 'IN', 'NOT IN'];

  // A small alphabet dense in quotes, backslashes, dots and spaces, to stress quoting and escaping.
  const text = fc.string({ unit: fc.constantFrom(...'ab _.-%\\\'"`xyz0189é'.split('')), maxLength: 12 });
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
  const num = fc.oneof(finite, fc.integer({ min: -1e15, max: 1e15 }));

  // Escapes per the tokenizer: backslash doubled; the quote doubled or backslash-escaped.
  const quoteString = (value: string, quote: string, doubled: boolean): string =>
    quote + value.replaceAll('\\', '\\\\').replaceAll(quote, doubled ? quote + quote : `\\${quote}`) + quote;
  const stringLit = (value: string) =>
    fc.tuple(fc.constantFrom<"'" | '"'>("'", '"'), fc.boolean()).map(([q, d]) => quoteString(value, q, d));
  const listLit = (values: string[]) =>
    fc.tuple(...values.map(stringLit)).map((items) => `(${items.join(', ')})`);
  const keyLit = (key: string) =>
    fc
      .tuple(fc.constantFrom('"', '`'), fc.boolean(), fc.boolean())
      .map(([q, bare, doubled]) =>
        bare && /^[A-Za-z_]\w*(\.\w+)*$/.test(key) ? key : quoteString(key, q, doubled),
      );

  /** A clause and one of its many spellings. */
  type Case = { clause: Clause; rendered: string };
  const ops = (kind: EntityKind): Comparator[] =>
    kind === 'metric' ? NUMERIC_OPS : kind === 'param' ? STRING_OPS : LIST_OPS;

  const valueFor = (comparator: Comparator, numeric: boolean) =>
    numeric
      ? num.map((n) => ({ value: n as Clause['value'], rendered: fc.constant(String(n)) }))
      : comparator === 'IN' || comparator === 'NOT IN'
        ? fc
            .array(text, { minLength: 1, maxLength: 3 })
            .map((v) => ({ value: v as Clause['value'], rendered: listLit(v) }))
        : text.map((v) => ({ value: v as Clause['value'], rendered: stringLit(v) }));

  const prefixed: fc.Arbitrary<Case> = fc
    .constantFrom<Exclude<EntityKind, 'attribute'>>('metric', 'param', 'tag', 'dataset')
    .chain((kind) =>
      fc.record({
        kind: fc.constant(kind),
        prefix: fc.constantFrom(...PREFIXES[kind]),
        key: kind === 'dataset' ? fc.constantFrom('name', 'digest', 'context') : text.filter((k) => k !== ''),
        comparator: fc.constantFrom(...ops(kind)),
      }),
    )
    .chain(({ kind, prefix, key, comparator }) =>
      valueFor(comparator, kind === 'metric').chain(({ value, rendered }) =>
        fc.tuple(keyLit(key), rendered).map(([k, v]) => ({
          clause: { kind, key, comparator, value },
          rendered: `${prefix}.${k} ${comparator} ${v}`,
        })),
      ),
    );

  const attribute: fc.Arbitrary<Case> = fc
    .record({
      key: fc.constantFrom(
        'run_id',
        'run_name',
        'status',
        'user_id',
        'artifact_uri',
        'lifecycle_stage',
        'start_time',
        'end_time',
      ),
      prefix: fc.constantFrom('', 'attribute.', 'attributes.', 'attr.', 'run.'),
    })
    .chain(({ key, prefix }) => {
      const numeric = key.endsWith('_time');
      return fc.constantFrom(...(numeric ? NUMERIC_OPS : LIST_OPS)).chain((comparator) =>
        valueFor(comparator, numeric).chain(({ value, rendered }) =>
          rendered.map((v) => ({
            clause: { kind: 'attribute' as const, key, comparator, value },
            rendered: `${prefix}${key} ${comparator} ${v}`,
          })),
        ),
      );
    });

  it('render(clauses) parses back to the same clauses', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(prefixed, attribute), { maxLength: 5 }),
        fc.constantFrom(' AND ', ' and ', '\tAnd\n'),
        (cases, and) => {
          const filter = cases.map((c) => c.rendered).join(and);
          expect(parseRunFilter(filter)).toEqual(cases.map((c) => c.clause));
        },
      ),
      { numRuns: 500 },
    );
  });
});
