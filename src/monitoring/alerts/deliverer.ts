/**
 * Sends queued webhook deliveries. Every replica runs one; a delivery is claimed with a
 * conditional UPDATE before it is sent, so two replicas never POST the same delivery at once, and
 * no transaction is held open across the HTTP call. Failures back off exponentially with jitter.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Context } from '../../context.js';
import { type ChannelOptions, DEFAULT_CHANNEL_OPTIONS } from './channels.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature } from './sign.js';

export interface DelivererOptions {
  /** How often due deliveries are looked for (ms, default 1000). */
  intervalMs?: number;
  /** Most deliveries sent at once per pass (default 20). */
  batch?: number;
  /** Source of the backoff jitter, in [0, 1) (default Math.random). */
  random?: () => number;
}

/** A claim outlives the request timeout by this much, covering the writes around it. */
const CLAIM_MARGIN_MS = 5_000;
const MAX_BACKOFF_MS = 3_600_000;
/** How much of a failed response's body is kept as the attempt's error. */
const MAX_ERROR_TEXT = 500;

const USER_AGENT = `keel-alerts/${(() => {
  try {
    // src/monitoring/alerts and dist/monitoring/alerts both sit three levels below the package root.
    return (createRequire(import.meta.url)('../../../package.json') as { version?: string }).version ?? '0.1';
  } catch {
    return '0.1';
  }
})()}`;

/** Delay after failed attempt `attempt` (1-based): backoff · 2^(attempt-1), ±10% jitter, at most 1 h. */
export function nextDelay(backoffMs: number, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  return Math.min(Math.round(base * (0.9 + 0.2 * random())), MAX_BACKOFF_MS);
}

interface Due {
  id: number;
  attempts: number;
  channel: string;
  url: string | null;
  secret: string | null;
  options: string | null;
  event: string;
  payload: string;
}

interface Outcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Why a request got no response, in words a user can act on. */
function describe(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'request failed'}: ${cause}` : (err.message ?? String(e));
}

export class AlertDeliverer {
  private readonly intervalMs: number;
  private readonly batch: number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: Context,
    opts: DelivererOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.batch = opts.batch ?? 20;
    this.random = opts.random ?? Math.random;
  }

  /** Starts polling every `intervalMs`; the timer does not keep the process alive. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule();
  }

  /**
   * Stops polling and waits for passes in flight, then makes one last pass, so deliveries a short
   * CLI command queued go out before it exits (each bounded by its channel's timeout).
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inflight]);
    await this.runOnce().catch((e) =>
      this.ctx.logger.error({ err: e }, 'alert deliveries: last pass failed'),
    );
  }

  private schedule(): void {
    this.timer = setTimeout(async () => {
      try {
        await this.runOnce();
      } catch (e) {
        this.ctx.logger.error({ err: e }, 'alert deliveries: pass failed');
      }
      if (this.started) this.schedule();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Sends every due delivery this process can claim (up to `batch`); returns how many it tried. */
  runOnce(): Promise<number> {
    const pass = this.pass();
    this.inflight.add(pass);
    return pass.finally(() => this.inflight.delete(pass));
  }

  private async pass(): Promise<number> {
    const now = this.ctx.clock.now();
    const due: Due[] = await this.ctx.store.db
      .selectFrom('alert_deliveries as d')
      .innerJoin('alert_events as e', 'e.id', 'd.event_id')
      .leftJoin('alert_channels as c', (j) =>
        j.onRef('c.name', '=', 'd.channel').on('c.kind', '=', 'webhook'),
      )
      .select([
        'd.id',
        'd.attempts',
        'd.channel',
        'c.url',
        'c.secret',
        'c.options',
        'e.kind as event',
        'e.payload',
      ])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where('d.claimed_until', '<', now)
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(this.batch)
      .execute();
    const sent = await Promise.all(due.map((d) => this.deliver({ ...d, id: Number(d.id) }, now)));
    return sent.filter(Boolean).length;
  }

  /** Claims, sends and records one delivery; false when another process holds it. */
  private async deliver(d: Due, now: number): Promise<boolean> {
    const options: ChannelOptions = {
      ...DEFAULT_CHANNEL_OPTIONS,
      ...(d.options ? (JSON.parse(d.options) as Partial<ChannelOptions>) : {}),
    };
    const claimedUntil = now + options.timeoutMs + CLAIM_MARGIN_MS;
    const claim = await this.ctx.store.db
      .updateTable('alert_deliveries')
      .set({ claimed_until: claimedUntil })
      .where('id', '=', d.id)
      .where('status', '=', 'pending')
      .where('attempts', '=', d.attempts)
      .where('claimed_until', '<', now)
      .executeTakeFirst();
    if (Number(claim.numUpdatedRows) !== 1) return false;
    if (d.url === null) {
      // The channel was deleted (or changed kind) after the event was queued: nowhere to send it.
      const error = `channel '${d.channel}' no longer exists`;
      await this.finish(d, claimedUntil, options, 'failed', { statusCode: null, error, durationMs: 0 }, null);
      return true;
    }
    const at = this.ctx.clock.now();
    const outcome = await this.post(d, d.url, options.timeoutMs);
    const attempt = d.attempts + 1;
    const code = outcome.statusCode;
    const ok = code !== null && code >= 200 && code < 300;
    // 410 Gone: the receiver says this endpoint is retired; retrying cannot help.
    const status = ok ? 'delivered' : code === 410 || attempt >= options.maxAttempts ? 'failed' : 'pending';
    await this.finish(d, claimedUntil, options, status, outcome, { attempt, at });
    if (!ok) {
      const fields = { delivery: d.id, channel: d.channel, attempt, statusCode: code, error: outcome.error };
      if (status === 'failed')
        this.ctx.logger.error(fields, 'alert delivery failed; retry it with keel alerts deliveries retry');
      else this.ctx.logger.warn(fields, 'alert delivery attempt failed; will retry');
    }
    return true;
  }

  /** One POST of the event's stored payload, byte for byte, signed over exactly those bytes. */
  private async post(d: Due, url: string, timeoutMs: number): Promise<Outcome> {
    const body = Buffer.from(d.payload, 'utf8');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [EVENT_HEADER]: `alert.${d.event}`,
      [DELIVERY_HEADER]: String(d.id),
    };
    if (d.secret !== null) headers[SIGNATURE_HEADER] = signature(d.secret, body);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      // Redirects are not followed: a signed event goes only to the URL its channel names.
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => {});
        return { statusCode: res.status, error: null, durationMs: elapsed() };
      }
      const text = await res.text().catch(() => '');
      return { statusCode: res.status, error: text.slice(0, MAX_ERROR_TEXT) || null, durationMs: elapsed() };
    } catch (e) {
      return { statusCode: null, error: describe(e, timeoutMs), durationMs: elapsed() };
    }
  }

  /** Records the attempt (if one was made) and the delivery's new state, releasing the claim. */
  private async finish(
    d: Due,
    claimedUntil: number,
    options: ChannelOptions,
    status: 'pending' | 'delivered' | 'failed',
    o: Outcome,
    made: { attempt: number; at: number } | null,
  ): Promise<void> {
    const now = this.ctx.clock.now();
    const attempts = made?.attempt ?? d.attempts;
    await this.ctx.store.db.transaction().execute(async (trx) => {
      if (made) {
        await trx
          .insertInto('alert_delivery_attempts')
          .values({
            delivery_id: d.id,
            attempt: made.attempt,
            at: made.at,
            status_code: o.statusCode,
            error: o.error,
            duration_ms: o.durationMs,
          })
          .execute();
      }
      // Only while our claim holds: had it expired and another process taken the delivery over,
      // its state is the one to keep.
      await trx
        .updateTable('alert_deliveries')
        .set({
          status,
          attempts,
          next_attempt_at:
            status === 'pending' ? now + nextDelay(options.backoffMs, attempts, this.random) : now,
          last_status_code: o.statusCode,
          last_error: o.error,
          claimed_until: 0,
          updated_at: now,
        })
        .where('id', '=', d.id)
        .where('claimed_until', '=', claimedUntil)
        .execute();
    });
  }
}
