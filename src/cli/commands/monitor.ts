import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { formatDuration } from '../../monitoring/window.js';
import type { AlertEvent } from '../../sdk/alerts.js';
import type { Alert, AlertStatus, Monitor, MonitorRun, ReferenceSpec } from '../../sdk/monitors.js';
import { withKeel } from '../connect.js';
import { fmtNumber, fmtTime, printJson, printTable } from '../output.js';

/**
 * `keel monitor ls|show|rm`, `keel alerts ls|events`, and what the other `keel monitor …`
 * commands share: time flags, and how a monitor's spec and windows are printed.
 */

export const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** An event time from a flag (ISO-8601 or epoch milliseconds), or a clear error naming the flag. */
export function parseTime(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (v === '' || !Number.isFinite(t))
    throw invalidParam(`${flag} must be an ISO-8601 time or epoch milliseconds, got '${value}'`, flag);
  return t;
}

/** `--from`/`--to` as epoch ms; refuses an empty range before anything is sent. */
export function parseRange(opts: { from?: string; to?: string }): { from?: number; to?: number } {
  const from = parseTime(opts.from, '--from');
  const to = parseTime(opts.to, '--to');
  if (from !== undefined && to !== undefined && !(from < to))
    throw invalidParam(`--from (${fmtTime(from)}) must be before --to (${fmtTime(to)})`, '--from');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** A whole number from a flag, or a clear error naming the flag. */
export function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw invalidParam(`${flag} must be a whole number, got '${value}'`, flag);
  return Number(value);
}

/** `2024-01-01 00:00:00 – 01:00:00 UTC` (the end's date only when it differs). */
export function fmtWindow(start: number, end: number | null | undefined): string {
  const a = fmtTime(start);
  if (end === null || end === undefined) return `${a} UTC`;
  const b = fmtTime(end);
  return `${a} – ${b.slice(0, 10) === a.slice(0, 10) ? b.slice(11) : b} UTC`;
}

export function describeReference(r: ReferenceSpec): string {
  if (r.kind === 'training') return 'training (the training data of the version serving each route)';
  if (r.kind === 'dataset') return `dataset ${r.ref}`;
  return `past windows ${fmtWindow(r.from, r.to)}`;
}

const describeWindow = (m: Monitor): string => {
  const w = m.spec.window;
  const every = w.kind === 'time' ? `${w.text} (UTC-aligned)` : `every ${w.rows} predictions`;
  return `${every}, evaluated ${formatDuration(m.spec.delayMs)} after a window ends`;
};

function checkList(m: Monitor): string {
  const c = m.spec.checks;
  const parts: string[] = [];
  if (c.drift.enabled) {
    const overrides = Object.entries(c.drift.columns).map(
      ([col, o]) => `${col}:${[o.method, o.threshold].filter((x) => x !== undefined).join('@')}`,
    );
    parts.push(
      `drift (dataset drift at share ≥ ${c.drift.share}${overrides.length ? `; ${overrides.join(', ')}` : ''}${c.drift.exclude.length ? `; excluding ${c.drift.exclude.join(', ')}` : ''})`,
    );
  }
  if (c.predictionDrift) parts.push('prediction drift');
  if (c.quality) parts.push('quality');
  if (c.performance) parts.push('performance');
  if (c.estimation) parts.push('estimation');
  if (c.positiveClass !== undefined) parts.push(`positive class ${c.positiveClass}`);
  return parts.join(', ') || 'none';
}

/** A rule on one line: `name: when  [severity, for N windows, cooldown 6h, → ops]`. */
function ruleLine(r: Monitor['spec']['rules'][number]): string {
  const tags = [
    r.severity,
    r.for > 1 ? `for ${r.for} windows` : null,
    r.cooldownMs > 0 ? `cooldown ${formatDuration(r.cooldownMs)}` : null,
    r.routes ? `routes ${r.routes.join(',')}` : null,
    r.channels.length ? `→ ${r.channels.join(', ')}` : null,
  ].filter((x) => x !== null);
  return `${r.name === r.when ? r.when : `${pc.bold(r.name)}: ${r.when}`}  ${pc.dim(`[${tags.join(', ')}]`)}`;
}

/** What `create` and `show` print about a monitor. */
export function summaryLines(m: Monitor): string[] {
  const lines = [
    `${pc.bold(m.name)} on deployment ${m.deployment}${m.enabled ? '' : pc.yellow('  (disabled)')}`,
    `  window     ${describeWindow(m)}`,
    `  reference  ${describeReference(m.spec.reference)}`,
    `  checks     ${checkList(m)}`,
  ];
  if (m.spec.rules.length === 0)
    lines.push(`  rules      ${pc.dim('none (results are recorded, no alerts)')}`);
  m.spec.rules.forEach((r, i) => {
    lines.push(`  ${i === 0 ? 'rules    ' : '         '}  ${ruleLine(r)}`);
  });
  return lines;
}

interface JsonOpt {
  json?: boolean;
}

/** `keel monitor ls [--deployment D]`. */
export async function ls(opts: JsonOpt & { deployment?: string }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const all = await keel.monitors.list({ deployment: opts.deployment });
    if (opts.json) return printJson(all);
    if (all.length === 0) return out('no monitors');
    printTable(
      ['name', 'deployment', 'window', 'reference', 'rules', 'enabled', 'updated'],
      all.map((m) => [
        m.name,
        m.deployment,
        m.spec.window.text,
        m.spec.reference.kind === 'dataset'
          ? m.spec.reference.ref
          : m.spec.reference.kind === 'window'
            ? `window ${fmtTime(m.spec.reference.from)}…`
            : 'training',
        m.spec.rules.length,
        m.enabled ? 'yes' : 'no',
        fmtTime(m.updatedAt),
      ]),
    );
  });
}

const runLine = (r: MonitorRun): string => {
  const status =
    r.status === 'succeeded'
      ? pc.green(r.status)
      : r.status === 'failed'
        ? pc.red(r.status)
        : pc.yellow(r.status);
  const what =
    r.status === 'failed'
      ? pc.red(r.error ?? '')
      : `${r.windows} window result(s), ${r.alertEvents} alert event(s)`;
  return `    #${r.id}  ${fmtTime(r.startedAt)}  ${r.trigger.padEnd(8)} ${status}  ${fmtWindow(r.from, r.to)}  ${what}`;
};

const alertLine = (a: Alert): string =>
  `    #${a.id}  ${severity(a.severity)}  ${a.rule}  ${a.route}  since ${fmtWindow(a.openedWindow, null)}  ${a.message}`;

const severity = (s: string): string => (s === 'critical' ? pc.red(s) : s === 'warning' ? pc.yellow(s) : s);

/** `keel monitor show <name>`: the spec, the latest runs, the open alerts. */
export async function show(name: string, opts: JsonOpt, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const monitor = await keel.monitors.get(name);
    const [runs, alerts] = await Promise.all([
      keel.monitors.runs(name, { limit: 5 }),
      keel.monitors.alerts({ monitor: name, status: 'open' }),
    ]);
    if (opts.json) return printJson({ monitor, runs, alerts });
    out(
      [
        ...summaryLines(monitor),
        pc.dim(
          `  created ${fmtTime(monitor.createdAt)} by ${monitor.createdBy}, updated ${fmtTime(monitor.updatedAt)}`,
        ),
        `  runs${runs.length ? ' (latest first)' : `       ${pc.dim('none yet (`keel monitor run` evaluates now)')}`}`,
        ...runs.map(runLine),
        `  open alerts${alerts.length ? '' : `  ${pc.dim('none')}`}`,
        ...alerts.map(alertLine),
      ].join('\n'),
    );
  });
}

/** `keel monitor rm <name>`. */
export async function rm(name: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    await keel.monitors.delete(name);
    out(`deleted monitor ${name} (its alerts stay as history)`);
  });
}

const STATUSES = ['open', 'resolved'];

/** `keel alerts ls [--monitor M] [--status open|resolved]`: newest first. */
export async function alertsLs(
  opts: JsonOpt & { monitor?: string; deployment?: string; status?: string; limit?: string },
  cmd: Command,
): Promise<void> {
  if (opts.status !== undefined && !STATUSES.includes(opts.status))
    throw invalidParam(`--status must be open or resolved, got '${opts.status}'`, '--status');
  const limit = int(opts.limit, '--limit');
  await withKeel(cmd, async ({ keel }) => {
    const alerts = await keel.monitors.alerts({
      monitor: opts.monitor,
      deployment: opts.deployment,
      status: opts.status as AlertStatus | undefined,
      limit,
    });
    if (opts.json) return printJson(alerts);
    if (alerts.length === 0) return out('no alerts');
    printTable(
      [
        'id',
        'status',
        'severity',
        'monitor',
        'rule',
        'route',
        'opened window (UTC)',
        'resolved window',
        'value',
        'message',
      ],
      alerts.map((a) => [
        a.id,
        a.status === 'open' ? pc.red(a.status) : pc.green(a.status),
        severity(a.severity),
        a.monitor,
        a.rule,
        a.route,
        fmtTime(a.openedWindow),
        fmtTime(a.resolvedWindow),
        a.value === null ? '' : fmtNumber(a.value),
        a.message,
      ]),
    );
  });
}

const kindColour = (e: AlertEvent): string =>
  e.kind === 'opened' ? pc.red(e.kind) : e.kind === 'resolved' ? pc.green(e.kind) : pc.yellow(e.kind);

/** `keel alerts events [--after N] [--monitor M]`: the event feed, oldest first. */
export async function alertsEvents(
  opts: JsonOpt & { after?: string; monitor?: string; deployment?: string; limit?: string },
  cmd: Command,
): Promise<void> {
  const after = int(opts.after, '--after');
  const limit = int(opts.limit, '--limit');
  await withKeel(cmd, async ({ keel }) => {
    const events = await keel.monitors.events({
      after,
      monitor: opts.monitor,
      deployment: opts.deployment,
      limit,
    });
    if (opts.json) return printJson(events);
    if (events.length === 0)
      return out(after === undefined ? 'no alert events' : `no alert events after ${after}`);
    printTable(
      ['id', 'kind', 'alert', 'monitor', 'rule', 'route', 'window (UTC)', 'recorded', 'message'],
      events.map((e) => [
        e.id,
        kindColour(e),
        e.alertId,
        e.monitor,
        e.rule,
        e.route,
        fmtTime(e.windowStart),
        fmtTime(e.at),
        e.payload.alert.message,
      ]),
    );
    // What a follower passes next time.
    process.stderr.write(
      pc.dim(`last event id ${events[events.length - 1]!.id} (--after it for newer ones)\n`),
    );
  });
}
