import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { COLUMN_METRICS, DATASET_METRICS, metricKey } from '../../../src/monitoring/rules/catalogue.js';
import {
  describeRule,
  evaluateRule,
  type ParsedRule,
  parseRule,
  type RuleTarget,
  ruleMessage,
  validateRule,
  worseDirection,
} from '../../../src/monitoring/rules/parse.js';
import type { MetricMap } from '../../../src/monitoring/types.js';

const BINARY: RuleTarget = {
  task: 'binary',
  features: [
    { name: 'age', type: 'integer' },
    { name: 'salary', type: 'float' },
    { name: 'education', type: 'categorical' },
    { name: 'car', type: 'categorical' },
    { name: 'notes', type: 'text' },
    { name: 'house.value-usd', type: 'float' },
  ],
  predictionColumns: ['prediction.score', 'prediction.label'],
};
const REGRESSION: RuleTarget = { ...BINARY, task: 'regression', predictionColumns: ['prediction.value'] };

/** Runs `f`, expects a 400 INVALID_PARAMETER_VALUE, and returns its message. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isKeelError(e)) throw e;
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.status).toBe(400);
    return e.message;
  }
  throw new Error('expected the rule to be rejected');
}
const check = (when: string, target: RuleTarget = BINARY): ParsedRule => {
  const parsed = parseRule(when);
  validateRule(parsed, target, when);
  return parsed;
};
const rejected = (when: string, target: RuleTarget = BINARY): string => errorOf(() => check(when, target));

describe('parseRule', () => {
  it('parses every example rule of the issue', () => {
    expect(check('drift_share >= 0.5')).toEqual({
      metric: 'drift_share',
      column: null,
      key: 'drift_share',
      test: { kind: 'compare', op: '>=', value: 0.5 },
    });
    expect(check('psi(salary) > 0.25')).toEqual({
      metric: 'psi',
      column: 'salary',
      key: 'psi(salary)',
      test: { kind: 'compare', op: '>', value: 0.25 },
    });
    expect(check('accuracy < 0.85').test).toEqual({ kind: 'compare', op: '<', value: 0.85 });
    expect(check('estimated_accuracy drops 5 points vs reference')).toEqual({
      metric: 'estimated_accuracy',
      column: null,
      key: 'estimated_accuracy',
      test: { kind: 'change', direction: 'drops', amount: 5, unit: 'points' },
    });
    expect(check('missing_rate(age) > 0.05').key).toBe('missing_rate(age)');
  });

  it('reads every operator, number form and percent threshold', () => {
    for (const op of ['<', '<=', '>', '>=', '==', '!='] as const) {
      expect(parseRule(`rows ${op} 10`).test).toEqual({ kind: 'compare', op, value: 10 });
    }
    expect(parseRule('ks(age) < 1e-3').test).toMatchObject({ value: 0.001 });
    expect(parseRule('r2 < -0.5').test).toMatchObject({ value: -0.5 });
    expect(parseRule('drift_share >= .5').test).toMatchObject({ value: 0.5 });
    expect(parseRule('missing_rate(age) > 5%').test).toMatchObject({ value: 0.05 });
    expect(parseRule('missing_rate(age) > 5 %').test).toMatchObject({ value: 0.05 });
  });

  it('ignores whitespace and the case of keywords, keeps the case of columns', () => {
    expect(parseRule('  PSI ( salary )>0.25 ')).toEqual(parseRule('psi(salary) > 0.25'));
    expect(parseRule('Estimated_Accuracy  DROPS 5POINTS VS   Reference')).toEqual(
      parseRule('estimated_accuracy drops 5 points vs reference'),
    );
    expect(parseRule('psi(Salary) > 0.25').column).toBe('Salary');
  });

  it('normalises the jensenshannon alias to js', () => {
    expect(parseRule('jensenshannon(education) > 0.1')).toMatchObject({ metric: 'js', key: 'js(education)' });
  });

  it('accepts dotted and dashed column names, and quoted ones with any character', () => {
    expect(check('psi(house.value-usd) > 0.2').column).toBe('house.value-usd');
    expect(parseRule('psi(`monthly income`) > 0.2')).toMatchObject({
      column: 'monthly income',
      key: 'psi(monthly income)',
    });
    expect(parseRule('psi("a`b") > 0.2').column).toBe('a`b');
  });

  it('reads change rules in points, percent and absolute units', () => {
    const change = (when: string) => parseRule(when).test;
    expect(change('accuracy drops 5 points vs reference')).toMatchObject({ unit: 'points', amount: 5 });
    expect(change('accuracy drops 10% vs reference')).toMatchObject({ unit: 'percent', amount: 10 });
    expect(change('accuracy drops 10 percent vs reference')).toMatchObject({ unit: 'percent' });
    expect(change('rmse rises 0.5 vs reference')).toEqual({
      kind: 'change',
      direction: 'rises',
      amount: 0.5,
      unit: 'absolute',
    });
  });

  it.each([
    ['', 'empty rule'],
    ['0.5 < accuracy', "expected a metric name, got '0.5 < accuracy'"],
    ['accuracy = 0.85', "unknown operator '=' (use <, <=, >, >=, == or !=)"],
    ['accuracy => 0.85', "unknown operator '=>'"],
    ['accuracy <> 0.85', "unknown operator '<>'"],
    ['accuracy < high', "expected a number after '<', got 'high'"],
    ['accuracy <', "expected a number after '<', got end of rule"],
    ['accuracy < 0.85 for 3 windows', "unexpected 'for 3 windows' after the rule"],
    ['accuracy < 0.85)', "unexpected ')' after the rule"],
    ['accuracy', "expected an operator (<, <=, >, >=, ==, !=) or 'drops'/'rises' after 'accuracy', got end"],
    ['accuracy falls 5 points vs reference', "or 'drops'/'rises' after 'accuracy', got 'falls'"],
    ['psi(salary > 0.2', "expected ')' after column 'salary', got '> 0.2'"],
    ['psi() > 0.2', 'expected a column name inside psi(…)'],
    ['psi(`salary) > 0.2', 'unterminated `-quoted column name'],
    ['accuracy drops 5 points', "expected 'vs reference' after 'drops 5 points', got end of rule"],
    ['accuracy drops 5 points vs training', "expected 'vs reference' after 'drops 5 points', got 'training'"],
    ['accuracy drops -5 points vs reference', 'the change must be a positive number, got -5'],
    ['accuracy drops 5 points vs reference now', "unexpected 'now' after the rule"],
    ['accuracy < 1e999', "number '1e999' is out of range"],
  ])('rejects %j with a precise message', (when, fragment) => {
    const message = errorOf(() => parseRule(when));
    expect(message).toContain(`rule '${when}': `);
    expect(message).toContain(fragment);
  });

  it('round-trips through describeRule', () => {
    for (const when of [
      'psi(salary) > 0.25',
      'ks(age) < 0.001',
      'psi(`monthly income`) >= 0.1',
      'estimated_accuracy drops 5 points vs reference',
      'accuracy drops 10% vs reference',
      'rmse rises 0.5 vs reference',
    ]) {
      expect(describeRule(parseRule(when))).toBe(when);
    }
    expect(describeRule(parseRule('ACCURACY<5%'))).toBe('accuracy < 0.05');
  });

  it('describeRule always gives text that parses back to the same rule (property)', () => {
    // Any column name works, quoted when needed, except one holding both quote characters.
    const column = fc.option(
      fc.string({ minLength: 1, maxLength: 12 }).filter((c) => !(c.includes('`') && c.includes('"'))),
      {
        nil: null,
      },
    );
    const metric = fc.constantFrom(...COLUMN_METRICS.keys(), ...DATASET_METRICS.keys());
    const test = fc.oneof(
      fc.record({
        kind: fc.constant('compare' as const),
        op: fc.constantFrom(
          '<' as const,
          '<=' as const,
          '>' as const,
          '>=' as const,
          '==' as const,
          '!=' as const,
        ),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
      }),
      fc.record({
        kind: fc.constant('change' as const),
        direction: fc.constantFrom('drops' as const, 'rises' as const),
        amount: fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
        unit: fc.constantFrom('points' as const, 'percent' as const, 'absolute' as const),
      }),
    );
    fc.assert(
      fc.property(metric, column, test, (m, c, t) => {
        const rule: ParsedRule = { metric: m, column: c, key: metricKey(m, c), test: t };
        expect(parseRule(describeRule(rule))).toEqual(rule);
      }),
    );
  });
});

describe('validateRule', () => {
  it('accepts drift metrics on prediction columns and the quality metrics with or without a column', () => {
    expect(check('drift(prediction.score) > 0.1').key).toBe('drift(prediction.score)');
    expect(check('js(prediction.label) > 0.1').key).toBe('js(prediction.label)');
    expect(check('missing_rate > 0.1').key).toBe('missing_rate');
    expect(check('out_of_range_rate(salary) > 0.1').key).toBe('out_of_range_rate(salary)');
    expect(check('new_categories(car) > 0').key).toBe('new_categories(car)');
    expect(check('rmse rises 20% vs reference', REGRESSION).metric).toBe('rmse');
    // A model whose task is unknown cannot rule a performance metric out.
    expect(check('rmse > 3', { ...BINARY, task: null }).metric).toBe('rmse');
  });

  it('names an unknown feature and lists the features', () => {
    expect(rejected('psi(salry) > 0.25')).toBe(
      "rule 'psi(salry) > 0.25': unknown feature 'salry' (did you mean 'salary'? features: age, salary, " +
        'education, car, notes, house.value-usd; prediction columns: prediction.score, prediction.label)',
    );
    expect(rejected('missing_rate(Age) > 0.05')).toContain("unknown feature 'Age' (did you mean 'age'?");
    expect(rejected('missing_rate(zipcode) > 0.05')).toBe(
      "rule 'missing_rate(zipcode) > 0.05': unknown feature 'zipcode' (features: age, salary, education, car, " +
        'notes, house.value-usd)',
    );
  });

  it('names an unknown metric with close spellings or a few valid ones', () => {
    expect(rejected('acuracy < 0.85')).toBe(
      "rule 'acuracy < 0.85': unknown metric 'acuracy' (did you mean 'accuracy'? metrics include drift_share, " +
        'dataset_drift, drift(<column>), psi(<column>), missing_rate, schema_violations, accuracy, f1, roc_auc, ' +
        'estimated_accuracy)',
    );
    const message = rejected('latency > 100', REGRESSION);
    expect(message).toContain("unknown metric 'latency' (metrics include");
    expect(message).toContain('rmse, r2');
    expect(message).not.toContain('accuracy');
  });

  it('rejects a column on a dataset metric and a missing column on a column metric', () => {
    expect(rejected('drift_share(age) >= 0.5')).toBe(
      "rule 'drift_share(age) >= 0.5': drift_share is a dataset metric and takes no column",
    );
    expect(rejected('psi > 0.25')).toBe(
      "rule 'psi > 0.25': psi is a column metric and needs a column, e.g. psi(age)",
    );
  });

  it('rejects a metric on the wrong kind of column', () => {
    expect(rejected('ks(education) > 0.1')).toBe(
      "rule 'ks(education) > 0.1': ks applies to numeric columns; 'education' is categorical",
    );
    expect(rejected('new_category_rate(salary) > 0.1')).toContain(
      "new_category_rate applies to categorical columns; 'salary' is float",
    );
    expect(rejected('wasserstein(prediction.label) > 0.1')).toContain("'prediction.label' is categorical");
    expect(rejected('psi(notes) > 0.1')).toContain("psi is not computed for text column 'notes'");
  });

  it('only lets drift metrics name prediction columns, and only the model has', () => {
    expect(rejected('missing_rate(prediction.score) > 0.1')).toContain(
      "missing_rate takes a model feature; 'prediction.score' is a prediction column",
    );
    expect(rejected('drift(prediction.value) > 0.1')).toContain(
      "unknown prediction column 'prediction.value' (this model has prediction.score, prediction.label)",
    );
  });

  it('rejects a metric the model task does not have', () => {
    expect(rejected('rmse > 3')).toBe(
      "rule 'rmse > 3': rmse applies to regression models; this model is a binary classifier",
    );
    expect(rejected('accuracy < 0.8', REGRESSION)).toContain(
      'accuracy applies to classifiers; this model is a regression model',
    );
    expect(rejected('precision < 0.8', { ...BINARY, task: 'multiclass' })).toContain(
      'precision applies to binary classifiers; this model is a multiclass classifier (use precision_macro)',
    );
    expect(rejected('roc_auc < 0.8', { ...BINARY, task: 'multiclass' })).toContain('(use roc_auc_ovr)');
  });

  it('rejects percentage points on a metric that is not a rate', () => {
    expect(rejected('rmse rises 5 points vs reference', REGRESSION)).toContain(
      "'points' (percentage points) only apply to rates in [0, 1]; use an absolute amount or % for rmse",
    );
  });
});

describe('evaluateRule', () => {
  const ev = (
    when: string,
    metrics: Record<string, number | null>,
    reference: Record<string, number | null> = {},
  ) => evaluateRule(parseRule(when), metrics, reference);

  it('compares the window value with the threshold', () => {
    expect(ev('accuracy < 0.85', { accuracy: 0.812 })).toEqual({
      breached: true,
      value: 0.812,
      threshold: 0.85,
    });
    expect(ev('accuracy < 0.85', { accuracy: 0.85 })).toEqual({
      breached: false,
      value: 0.85,
      threshold: 0.85,
    });
    expect(ev('accuracy <= 0.85', { accuracy: 0.85 }).breached).toBe(true);
    expect(ev('psi(salary) > 0.25', { 'psi(salary)': 0.31 }).breached).toBe(true);
    expect(ev('dataset_drift == 1', { dataset_drift: 1 }).breached).toBe(true);
    expect(ev('schema_violations != 0', { schema_violations: 0 }).breached).toBe(false);
    expect(ev('missing_rate(age) > 5%', { 'missing_rate(age)': 0.06 }).breached).toBe(true);
  });

  it('has no verdict without data: null, absent or NaN', () => {
    for (const metrics of [{}, { accuracy: null }, { accuracy: Number.NaN }] as MetricMap[]) {
      expect(ev('accuracy < 0.85', metrics)).toEqual({ breached: null, value: null, threshold: 0.85 });
    }
  });

  it('moves the threshold from the reference by points, percent or an absolute amount', () => {
    const ref = { estimated_accuracy: 0.9 };
    const points = 'estimated_accuracy drops 5 points vs reference';
    expect(ev(points, { estimated_accuracy: 0.85 }, ref)).toEqual({
      breached: true,
      value: 0.85,
      threshold: 0.85,
    });
    expect(ev(points, { estimated_accuracy: 0.851 }, ref).breached).toBe(false);
    const percent = 'estimated_accuracy drops 10% vs reference';
    expect(ev(percent, { estimated_accuracy: 0.81 }, ref)).toEqual({
      breached: true,
      value: 0.81,
      threshold: 0.81,
    });
    expect(ev(percent, { estimated_accuracy: 0.82 }, ref).breached).toBe(false);
    expect(ev('rmse rises 0.5 vs reference', { rmse: 3.4 }, { rmse: 3 })).toEqual({
      breached: false,
      value: 3.4,
      threshold: 3.5,
    });
    expect(ev('rmse rises 20% vs reference', { rmse: 3.6 }, { rmse: 3 })).toMatchObject({
      breached: true,
      threshold: 3.6,
    });
    // Relative to the magnitude, so a negative reference still moves the right way.
    expect(ev('r2 drops 50% vs reference', { r2: -0.3 }, { r2: -0.2 })).toMatchObject({
      breached: true,
      threshold: -0.3,
    });
  });

  it('has no verdict for a change rule without a reference value', () => {
    const when = 'accuracy drops 5 points vs reference';
    expect(ev(when, { accuracy: 0.5 }, {})).toEqual({ breached: null, value: 0.5, threshold: null });
    expect(ev(when, { accuracy: 0.5 }, { accuracy: Number.NaN })).toEqual({
      breached: null,
      value: 0.5,
      threshold: null,
    });
    expect(ev(when, {}, { accuracy: 0.9 })).toEqual({ breached: null, value: null, threshold: 0.85 });
  });
});

describe('messages', () => {
  it('says the value, the relation that holds and the route', () => {
    const p = parseRule('accuracy < 0.85');
    expect(ruleMessage('accuracy < 0.85', p, 0.812, 0.85, 'primary')).toBe(
      'accuracy = 0.812 < 0.85 on primary',
    );
    expect(ruleMessage('accuracy<0.85', p, 0.8123, 0.85, 'primary')).toBe(
      'accuracy = 0.812 < 0.85 on primary',
    );
    expect(ruleMessage('accuracy < 0.85', p, 0.9, 0.85, 'canary')).toBe('accuracy = 0.9 >= 0.85 on canary');
    expect(ruleMessage('accuracy < 0.85', p, 0.84999, 0.85, 'primary')).toBe(
      'accuracy = 0.84999 < 0.85 on primary',
    );
    expect(ruleMessage('low accuracy', p, 0.8, 0.85, 'shadow:3')).toBe(
      'low accuracy: accuracy = 0.8 < 0.85 on shadow:3',
    );
    expect(ruleMessage('accuracy < 0.85', p, null, 0.85, 'primary')).toBe('accuracy: no data on primary');
    const percent = parseRule('missing_rate(age) > 5%');
    expect(ruleMessage('missing_rate(age)>5 %', percent, 0.061, 0.05, 'primary')).toBe(
      'missing_rate(age) = 0.061 > 0.05 on primary',
    );
  });

  it('describes change rules with their reference-relative threshold', () => {
    const when = 'estimated_accuracy drops 5 points vs reference';
    const p = parseRule(when);
    expect(ruleMessage(when, p, 0.83, 0.85, 'primary')).toBe(
      'estimated_accuracy = 0.83 <= 0.85 (drops 5 points vs reference) on primary',
    );
    expect(ruleMessage(when, p, 0.83, null, 'primary')).toBe(
      'estimated_accuracy = 0.83 (no reference value) on primary',
    );
  });

  it('knows which way is worse for an episode', () => {
    expect(worseDirection(parseRule('accuracy < 0.85'))).toBe('low');
    expect(worseDirection(parseRule('psi(age) >= 0.2'))).toBe('high');
    expect(worseDirection(parseRule('accuracy drops 5 points vs reference'))).toBe('low');
    expect(worseDirection(parseRule('rmse rises 1 vs reference'))).toBe('high');
    expect(worseDirection(parseRule('accuracy != 1'))).toBe('low');
    expect(worseDirection(parseRule('schema_violations != 0'))).toBe('high');
  });
});
