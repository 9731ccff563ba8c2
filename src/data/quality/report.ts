/** Terminal and JSON renderings of check results (`keel data check`, `--json`). */
import pc from 'picocolors';
import { type CheckResult, type CheckSummary, summarize } from './checks.js';
import { show } from './format.js';

/** Options of the terminal report. */
export interface ReportOptions {
  color: boolean;
}

/** The `--json` shape: the summary plus every result. */
export interface CheckReportJson extends CheckSummary {
  checks: CheckResult[];
}

/** Labels longer than this do not push every observed value further right. */
const MAX_LABEL = 40;

const label = (r: CheckResult): string => (r.column === undefined ? r.check : `${r.check} ${r.column}`);

/** One line per check (✓/✗, check and column, observed value), offending samples, then a summary line. */
export function formatCheckReport(results: readonly CheckResult[], { color }: ReportOptions): string {
  const c = pc.createColors(color);
  const width = Math.min(MAX_LABEL, Math.max(0, ...results.map((r) => label(r).length)));
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.success ? c.green('✓') : c.red('✗');
    lines.push(`${mark} ${label(r).padEnd(width)}  ${r.success ? r.observed : c.red(r.observed)}`);
    const sample = r.details?.sample;
    if (!r.success && sample && sample.length > 0)
      lines.push(c.dim(`  ${' '.repeat(width)}  e.g. ${sample.map(show).join(', ')}`));
  }
  const s = summarize(results);
  const total = `${results.length} check${results.length === 1 ? '' : 's'}: ${s.passed} passed, ${s.failed} failed`;
  lines.push(s.success ? c.green(total) : c.red(c.bold(total)));
  return `${lines.join('\n')}\n`;
}

/** JSON-safe report for `--json`: bigint samples become strings and dates ISO strings. */
export function checkReportJson(results: readonly CheckResult[]): CheckReportJson {
  const checks = results.map((r) =>
    r.details?.sample
      ? { ...r, details: { ...r.details, sample: r.details.sample.map(jsonSafe) } }
      : { ...r },
  );
  return { ...summarize(results), checks };
}

const jsonSafe = (v: unknown): unknown =>
  typeof v === 'bigint' ? String(v) : v instanceof Date ? show(v) : v;
