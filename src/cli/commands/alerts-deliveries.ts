import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import type { AlertDelivery, DeliveryStatus } from '../../sdk/alerts.js';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

/** `keel alerts deliveries …`: the webhook delivery log, and retrying failed deliveries. */

const STATUSES = ['pending', 'delivered', 'failed'];

export interface ListOptions {
  monitor?: string;
  status?: string;
  limit?: string;
  json?: boolean;
}

const colour = (s: DeliveryStatus): string =>
  s === 'delivered' ? pc.green(s) : s === 'failed' ? pc.red(s) : pc.yellow(s);

/** `500, 500, 200`, or the error when an attempt got no response. */
const codes = (d: AlertDelivery): string =>
  d.history.map((a) => (a.statusCode === null ? 'error' : String(a.statusCode))).join(', ');

/** `keel alerts deliveries [--monitor M] [--status failed]`: newest first. */
export async function list(opts: ListOptions, cmd: Command): Promise<void> {
  if (opts.status !== undefined && !STATUSES.includes(opts.status))
    throw invalidParam(`--status must be one of ${STATUSES.join(', ')}, got '${opts.status}'`, '--status');
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && !Number.isInteger(limit))
    throw invalidParam(`--limit must be a whole number, got '${opts.limit}'`, '--limit');
  await withKeel(cmd, async ({ keel }) => {
    const deliveries = await keel.alerts.deliveries.list({
      ...(opts.monitor !== undefined ? { monitor: opts.monitor } : {}),
      ...(opts.status !== undefined ? { status: opts.status as DeliveryStatus } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    if (opts.json) return printJson(deliveries);
    if (deliveries.length === 0) return void process.stdout.write('no deliveries\n');
    printTable(
      [
        'id',
        'event',
        'monitor',
        'rule',
        'channel',
        'status',
        'attempts',
        'last code',
        'next / updated',
        'codes',
      ],
      deliveries.map((d) => [
        d.id,
        d.eventKind,
        d.monitor,
        d.rule,
        d.channel,
        colour(d.status),
        d.attempts,
        d.lastStatusCode ?? (d.lastError ? 'error' : ''),
        d.status === 'pending' ? `next ${fmtTime(d.nextAttemptAt)}` : fmtTime(d.updatedAt),
        codes(d),
      ]),
    );
    // Why the latest failures failed (the table cuts long cells; --json has everything).
    for (const d of deliveries.filter((x) => x.status === 'failed' && x.lastError).slice(0, 5))
      process.stdout.write(pc.dim(`delivery ${d.id}: ${d.lastError}\n`));
  });
}

/** `keel alerts deliveries retry 12`: a failed delivery gets a new round of attempts. */
export async function retry(id: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  if (!/^\d+$/.test(id)) throw invalidParam(`delivery id must be a whole number, got '${id}'`, 'id');
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.alerts.deliveries.retry(Number(id));
    // `deliveries` has a --json of its own, which commander gives to it, not to `retry`.
    if (opts.json || cmd.optsWithGlobals<{ json?: boolean }>().json) return printJson(d);
    process.stdout.write(
      `delivery ${d.id} to ${d.channel} queued again (next attempt ${fmtTime(d.nextAttemptAt)})\n`,
    );
  });
}
