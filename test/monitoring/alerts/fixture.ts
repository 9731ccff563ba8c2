/** Alert events inserted by hand, and a real local HTTP receiver that answers from a script. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from '../../../src/context.js';
import { enqueueDeliveries } from '../../../src/monitoring/alerts/deliveries.js';
import type { AlertEventKind, AlertEventPayload } from '../../../src/monitoring/types.js';

/** 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);

let episode = 0;

export interface InsertedEvent {
  eventId: number;
  /** The stored payload text: what a webhook must receive byte for byte. */
  payload: string;
  deliveryIds: number[];
}

/** Stores a monitor whose rule `rule` notifies `channels` (only its spec's rules matter here). */
export async function insertMonitor(
  ctx: Context,
  name: string,
  rules: { name: string; channels: string[] }[],
) {
  await ctx.store.db
    .insertInto('monitors')
    .values({
      name,
      deployment: 'credit-api',
      spec: JSON.stringify({ rules }),
      enabled: 1,
      created_at: T0,
      updated_at: T0,
      created_by: 'test',
      labels_cursor: 0,
      windows_cursor: 0,
      lease_owner: null,
      lease_until: 0,
    })
    .execute();
}

/**
 * An alert and one event of it, with deliveries queued to `channels` in the same transaction, as
 * the monitoring evaluator does. The message has non-ASCII text so "same bytes" means something.
 */
export async function insertEvent(
  ctx: Context,
  channels: string[],
  opts: { monitor?: string; kind?: AlertEventKind; rule?: string } = {},
): Promise<InsertedEvent> {
  const monitor = opts.monitor ?? 'credit-mon';
  const kind = opts.kind ?? 'opened';
  const rule = opts.rule ?? 'drift_share >= 0.5';
  const now = ctx.clock.now();
  // A new episode each time: alerts are unique per (monitor, rule, route, opened window).
  const window = T0 + episode++ * 3_600_000;
  return ctx.store.db.transaction().execute(async (trx) => {
    const alert = await trx
      .insertInto('alerts')
      .values({
        monitor,
        deployment: 'credit-api',
        rule,
        route: 'primary',
        severity: 'critical',
        status: kind === 'resolved' ? 'resolved' : 'open',
        first_window: window,
        opened_window: window,
        last_window: window,
        resolved_window: null,
        value: 0.75,
        message: 'drift share 0.75 ≥ 0.5 — age, région',
        opened_at: now,
        updated_at: now,
        resolved_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const event = await trx
      .insertInto('alert_events')
      .values({
        alert_id: alert.id,
        monitor,
        deployment: 'credit-api',
        rule,
        route: 'primary',
        kind,
        window_start: window,
        at: now,
        payload: '{}',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const body: AlertEventPayload = {
      id: Number(event.id),
      type: `alert.${kind}`,
      alert: {
        id: Number(alert.id),
        status: kind === 'resolved' ? 'resolved' : 'open',
        severity: 'critical',
        rule,
        when: rule,
        message: 'drift share 0.75 ≥ 0.5 — age, région',
        value: 0.75,
        threshold: 0.5,
        route: 'primary',
      },
      monitor,
      deployment: 'credit-api',
      model: 'credit',
      versions: [2],
      window: { start: window, end: window + 3_600_000 },
      at: new Date(now).toISOString(),
      report: `/monitors/${monitor}/report`,
    };
    const payload = JSON.stringify(body);
    await trx.updateTable('alert_events').set({ payload }).where('id', '=', event.id).execute();
    const deliveryIds = await enqueueDeliveries(trx, Number(event.id), channels, now);
    return { eventId: Number(event.id), payload, deliveryIds };
  });
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver {
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

/**
 * A webhook receiver on a free port answering the scripted statuses in turn (the last one
 * repeats), after `delayMs`. Every request's headers and raw body are kept.
 */
export async function receiver(statuses: number[], delayMs = 0): Promise<Receiver> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[Math.min(requests.length, statuses.length - 1)]!;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      setTimeout(
        () => res.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status}`),
        delayMs,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/keel`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on a port nothing listens on (a server's, closed again): connections are refused. */
export async function refusingUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks`;
}
