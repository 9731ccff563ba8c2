import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelError, type KeelError } from '../../../src/core/errors.js';
import { CHECK_NAMES, parseExpectations, readExpectations } from '../../../src/data/quality/expectations.js';

const FULL = `expectations:
  - check: row_count          # min / max
    min: 1000
  - check: schema
    columns: {salary: float, age: integer, region: categorical}
    exact: false
  - check: not_null
    column: salary
    mostly: 0.99
  - check: in_range
    column: age
    min: 18
    max: 100
    mostly: 1.0
  - check: in_set
    column: region
    values: [north, south, east, west]
    mostly: 1.0
  - check: unique
    column: id
  - check: regex
    column: zipcode
    pattern: '^[0-9]{5}$'
    mostly: 1.0
  - check: no_new_categories
    column: region
    reference: [north, south, east, west]
`;

/** The KeelError thrown by parsing `text` as `q.yaml`. */
function parseError(text: string): KeelError {
  try {
    parseExpectations(text, 'q.yaml');
  } catch (err) {
    if (isKeelError(err)) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('parseExpectations', () => {
  it('parses every check with defaults applied', () => {
    const exps = parseExpectations(FULL, 'q.yaml');
    expect(exps.map((e) => e.check)).toEqual(CHECK_NAMES);
    expect(exps[0]).toEqual({ check: 'row_count', min: 1000 });
    expect(exps[1]).toEqual({
      check: 'schema',
      columns: { salary: 'float', age: 'integer', region: 'categorical' },
      exact: false,
    });
    expect(exps[2]).toEqual({ check: 'not_null', column: 'salary', mostly: 0.99 });
    expect(exps[5]).toEqual({ check: 'unique', column: 'id', mostly: 1 });
    expect(exps[6]).toMatchObject({ check: 'regex', pattern: '^[0-9]{5}$' });
    expect(parseExpectations('expectations: []\n', 'q.yaml')).toEqual([]);
  });

  it('reports YAML syntax errors with file and line', () => {
    const e = parseError(
      'expectations:\n  - check: in_set\n    column: a\n    values: [a, b\n  - check: unique\n',
    );
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/^q\.yaml:\d+: invalid YAML: /);
    expect(parseError('expectations:\n  - check: unique\n    check: regex\n').message).toMatch(
      /^q\.yaml:3: invalid YAML: Map keys must be unique/,
    );
  });

  it('names the unknown check, its line and the known ones', () => {
    const e = parseError(
      'expectations:\n  - check: row_count\n    min: 1\n  - check: in_rnage\n    column: age\n',
    );
    expect(e.message).toMatch(/^q\.yaml:4: expectations\[1\]: unknown check 'in_rnage' \(known: row_count, /);
    expect(e.details).toEqual({ field: 'expectations[1].check' });
    expect(parseError('expectations:\n  - column: age\n').message).toMatch(/^q\.yaml:2: .*needs a 'check'/);
  });

  it('names a missing field', () => {
    const e = parseError(
      'expectations:\n  - check: unique\n    column: id\n  - check: in_set\n    column: region\n',
    );
    expect(e.message).toBe("q.yaml:4: check 'in_set' (expectations[1]): missing field 'values'");
    expect(e.details).toEqual({ field: 'expectations[1].values' });
  });

  it('names an ill-typed field at its own line', () => {
    const e = parseError('expectations:\n  - check: in_range\n    column: age\n    min: "18"\n');
    expect(e.message).toMatch(
      /^q\.yaml:4: check 'in_range' \(expectations\[0\]\): field 'min': .*expected number/,
    );
    expect(e.details).toEqual({ field: 'expectations[0].min' });
    const t = parseError('expectations:\n  - check: schema\n    columns: {a: int}\n');
    expect(t.message).toMatch(/^q\.yaml:3: .*field 'columns\.a'/);
    const v = parseError('expectations:\n  - check: in_set\n    column: a\n    values: [a, {b: 1}]\n');
    expect(v.message).toMatch(/field 'values\[1\]': expected a string, number or boolean$/);
  });

  it('rejects unknown fields (typos) at the key line', () => {
    const e = parseError('expectations:\n  - check: not_null\n    column: a\n    mosty: 0.9\n');
    expect(e.message).toBe("q.yaml:4: check 'not_null' (expectations[0]): unknown field 'mosty'");
    expect(e.details).toEqual({ field: 'expectations[0].mosty' });
    expect(parseError('expectations: []\nchecks: 1\n').message).toBe(
      "q.yaml:2: unknown top-level field 'checks'",
    );
  });

  it('validates values: mostly, bounds, regex', () => {
    expect(
      parseError('expectations:\n  - check: not_null\n    column: a\n    mostly: 1.5\n').message,
    ).toMatch(/^q\.yaml:4: .*field 'mostly': /);
    expect(parseError('expectations:\n  - check: in_range\n    column: a\n').message).toMatch(
      /^q\.yaml:2: check 'in_range' \(expectations\[0\]\): needs 'min' or 'max'$/,
    );
    expect(parseError('expectations:\n  - check: row_count\n    min: 10\n    max: 5\n').message).toMatch(
      /^q\.yaml:4: .*field 'max': max 5 is below min 10/,
    );
    expect(
      parseError('expectations:\n  - check: regex\n    column: z\n    pattern: "[0-9"\n').message,
    ).toMatch(/^q\.yaml:4: .*field 'pattern': /);
  });

  it('needs a top-level expectations list', () => {
    expect(parseError('').message).toMatch(/^q\.yaml:1: expected a top-level 'expectations:' list/);
    expect(parseError('expectations: {a: 1}\n').message).toMatch(/^q\.yaml:1: expected a top-level/);
  });

  it('reads files, naming the path in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keel-quality-'));
    const file = join(dir, 'expect.yaml');
    await writeFile(file, FULL);
    expect(await readExpectations(file)).toHaveLength(8);
    await writeFile(file, 'expectations:\n  - check: nope\n');
    await expect(readExpectations(file)).rejects.toThrow(`${file}:2: expectations[0]: unknown check 'nope'`);
    await expect(readExpectations(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read/);
  });
});
