import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/data/quality/checks.js';
import { checkReportJson, formatCheckReport } from '../../../src/data/quality/report.js';

const RESULTS: CheckResult[] = [
  { check: 'row_count', success: true, observed: '1200 rows' },
  {
    check: 'not_null',
    column: 'salary',
    success: false,
    observed: '98.2% non-null (17 of 950 null)',
    details: { unexpectedCount: 17, unexpectedPercent: (17 / 950) * 100 },
  },
  {
    check: 'in_set',
    column: 'region',
    success: false,
    observed: '2 of 950 values (0.2%) not in the set',
    details: { unexpectedCount: 2, unexpectedPercent: 0.21, sample: ['central', 42] },
  },
];

describe('formatCheckReport', () => {
  it('prints one aligned line per check, samples of failures and a summary', () => {
    expect(formatCheckReport(RESULTS, { color: false })).toBe(
      [
        '✓ row_count        1200 rows',
        '✗ not_null salary  98.2% non-null (17 of 950 null)',
        '✗ in_set region    2 of 950 values (0.2%) not in the set',
        '                   e.g. "central", 42',
        '3 checks: 1 passed, 2 failed',
        '',
      ].join('\n'),
    );
    expect(formatCheckReport(RESULTS.slice(0, 1), { color: false })).toContain('1 check: 1 passed, 0 failed');
  });

  it('colours only when asked', () => {
    const coloured = formatCheckReport(RESULTS, { color: true });
    expect(coloured).toContain('\u001b[');
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(formatCheckReport(RESULTS, { color: false }));
    expect(formatCheckReport(RESULTS, { color: false })).not.toContain('\u001b[');
  });
});

describe('checkReportJson', () => {
  it('gives the summary and JSON-safe results', () => {
    const withOdd: CheckResult[] = [
      ...RESULTS,
      {
        check: 'unique',
        column: 'id',
        success: false,
        observed: '1 of 3 values (33.3%) repeat an earlier value',
        details: { unexpectedCount: 1, unexpectedPercent: 33.3, sample: [7n, new Date(0)] },
      },
    ];
    const json = checkReportJson(withOdd);
    expect(json).toMatchObject({ success: false, passed: 1, failed: 3 });
    expect(json.checks).toHaveLength(4);
    expect(json.checks[3]?.details?.sample).toEqual(['7', '1970-01-01T00:00:00.000Z']);
    expect(JSON.parse(JSON.stringify(json)).checks[0]).toEqual(RESULTS[0]);
  });
});
