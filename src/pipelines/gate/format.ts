/** The terminal rendering of a gate result (`keel models gate`). */
import Table from 'cli-table3';
import pc from 'picocolors';
import { formatMetric } from '../../models/eval/index.js';
import type { GateCheck, GateResult } from './types.js';

const threshold = (c: GateCheck): string => {
  const op = c.bound === 'min' ? '≥' : '≤';
  if (c.bound === 'max_regression')
    return `drop ${op} ${c.relative ? `${Number((c.threshold * 100).toPrecision(6))}%` : c.threshold}`;
  return `${op} ${c.threshold}`;
};

const value = (c: GateCheck): string =>
  c.kind === 'data_quality' ? (c.value === null ? '—' : `${c.value} failed`) : formatMetric(c.value);

/** A table of checks (candidate, champion, threshold, result), the decision and why. */
export function formatGate(r: GateResult, opts: { color: boolean }): string {
  const c = pc.createColors(opts.color);
  const head = ['check', r.ref, r.champion ? r.champion.ref : 'champion', 'threshold', 'result'];
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const k of r.checks) {
    const verdict = k.skipped ? c.dim('skipped') : k.passed ? c.green('pass') : c.red('FAIL');
    t.push([
      k.name,
      value(k),
      k.kind === 'data_quality' ? '' : formatMetric(k.champion),
      threshold(k),
      verdict,
    ]);
  }
  const lines = [
    `${c.bold(r.ref)} on ${r.data.ref} (${r.data.rows} rows, target ${r.target})` +
      (r.champion ? ` against ${c.bold(r.champion.ref)}` : ''),
    t.toString(),
  ];
  for (const n of r.notes) lines.push(c.dim(`note: ${n}`));
  for (const reason of r.reasons) lines.push(c.red(`✗ ${reason}`));
  const decision =
    r.decision === 'approved'
      ? c.green(c.bold('approved'))
      : r.decision === 'pending'
        ? c.yellow(c.bold('passed; pending manual approval'))
        : c.red(c.bold('rejected'));
  lines.push(`decision: ${decision}`);
  return `${lines.join('\n')}\n`;
}
