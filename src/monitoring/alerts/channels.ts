/**
 * Alert channels: where alert events go. `log` (the server log) is built in and always exists, so
 * a rule needs no setup to be heard; webhooks are stored in `alert_channels` with a per-channel
 * HMAC secret that is returned once, at creation, and redacted from every later read.
 */
import { randomBytes } from 'node:crypto';
import { type Actor, audited, uniquely } from '../../audit/tx.js';
import type { Context } from '../../context.js';
import { alreadyExists, invalidParam, notFound } from '../../core/errors.js';
import type { Db } from '../../store/db.js';
import type { AlertChannelsTable } from '../../store/schema.js';

export type ChannelKind = 'webhook' | 'log';

/** Retry and timeout settings of a webhook channel. */
export interface ChannelOptions {
  /** Attempts before a delivery is marked failed (1–20). */
  maxAttempts: number;
  /** Delay before the second attempt, doubled for each next one (ms). */
  backoffMs: number;
  /** How long one POST may take, response included (ms). */
  timeoutMs: number;
}

export interface AlertChannel extends ChannelOptions {
  name: string;
  kind: ChannelKind;
  url: string | null;
  /** The HMAC secret: only in the answer to `createChannel`, null on every read. */
  secret: string | null;
  hasSecret: boolean;
  /** The `log` channel, which is not stored and cannot be created or deleted. */
  builtin: boolean;
  createdAt: number;
  createdBy: string;
}

export interface NewChannel extends Partial<ChannelOptions> {
  name: string;
  kind: ChannelKind;
  url?: string | undefined;
  /** Default: 32 random bytes as hex. */
  secret?: string | undefined;
}

/** The built-in channel's name: the server log, always notified. */
export const LOG_CHANNEL = 'log';

export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = { maxAttempts: 6, backoffMs: 1000, timeoutMs: 10_000 };

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const MAX_URL = 2048;
const SECRET_MIN = 16;
const SECRET_MAX = 1024;
const RANGES: Record<keyof ChannelOptions, [number, number]> = {
  maxAttempts: [1, 20],
  backoffMs: [100, 3_600_000],
  timeoutMs: [100, 60_000],
};

const BUILTIN_LOG: AlertChannel = {
  name: LOG_CHANNEL,
  kind: 'log',
  url: null,
  secret: null,
  hasSecret: false,
  builtin: true,
  ...DEFAULT_CHANNEL_OPTIONS,
  createdAt: 0,
  createdBy: 'system',
};

/** A stored row as a channel, secret redacted (or shown, for the creation answer only). */
export function channelFromRow(r: AlertChannelsTable, showSecret = false): AlertChannel {
  const options = { ...DEFAULT_CHANNEL_OPTIONS, ...(JSON.parse(r.options) as Partial<ChannelOptions>) };
  return {
    name: r.name,
    kind: r.kind as ChannelKind,
    url: r.url,
    secret: showSecret ? r.secret : null,
    hasSecret: r.secret !== null,
    builtin: false,
    maxAttempts: options.maxAttempts,
    backoffMs: options.backoffMs,
    timeoutMs: options.timeoutMs,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/** Checks a webhook URL: it must parse and use http: or https: (nothing else can be POSTed to). */
export function validateWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam(`webhook url '${url}' is not a valid URL`, 'url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw invalidParam(`webhook url must be http(s), got '${parsed.protocol}'`, 'url');
  if (url.length > MAX_URL) throw invalidParam(`webhook url is longer than ${MAX_URL} characters`, 'url');
  return parsed;
}

function validate(input: NewChannel): { options: ChannelOptions } {
  const { name, kind } = input;
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw invalidParam(
      `Invalid channel name '${name}': use 1–100 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      'name',
    );
  if (name === LOG_CHANNEL)
    throw invalidParam(`channel '${LOG_CHANNEL}' is built in (the server log) and cannot be created`, 'name');
  if (kind !== 'webhook' && kind !== 'log')
    throw invalidParam(`channel kind must be 'webhook' or 'log', got '${String(kind)}'`, 'kind');
  const given = (Object.keys(RANGES) as (keyof ChannelOptions)[]).filter((k) => input[k] !== undefined);
  if (kind === 'log') {
    const extra = [...(['url', 'secret'] as const).filter((k) => input[k] !== undefined), ...given];
    if (extra.length > 0) throw invalidParam(`${extra[0]} is only for webhook channels`, extra[0]);
    return { options: DEFAULT_CHANNEL_OPTIONS };
  }
  if (input.url === undefined) throw invalidParam('a webhook channel needs a url', 'url');
  validateWebhookUrl(input.url);
  const s = input.secret;
  if (s !== undefined && (s.length < SECRET_MIN || s.length > SECRET_MAX))
    throw invalidParam(`secret must be ${SECRET_MIN} to ${SECRET_MAX} characters long`, 'secret');
  const options = { ...DEFAULT_CHANNEL_OPTIONS };
  for (const k of given) {
    const v = input[k]!;
    const [min, max] = RANGES[k];
    if (!Number.isInteger(v) || v < min || v > max)
      throw invalidParam(`${k} must be an integer from ${min} to ${max}, got ${v}`, k);
    options[k] = v;
  }
  return { options };
}

/**
 * Creates a channel and returns it with its secret, the only time the secret is shown. The audit
 * record holds the URL's origin only: webhook URLs often carry a token in their path, and the
 * audit log is append-only.
 */
export async function createChannel(ctx: Context, input: NewChannel, actor: Actor): Promise<AlertChannel> {
  const { options } = validate(input);
  const webhook = input.kind === 'webhook';
  const row: AlertChannelsTable = {
    name: input.name,
    kind: input.kind,
    url: webhook ? input.url! : null,
    secret: webhook ? (input.secret ?? randomBytes(32).toString('hex')) : null,
    options: JSON.stringify(options),
    created_at: ctx.clock.now(),
    created_by: actor,
  };
  const clash = () => alreadyExists(`Alert channel '${input.name}' already exists`);
  await uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          const prev = await trx.selectFrom('alert_channels').select('name').where('name', '=', row.name);
          if (await prev.executeTakeFirst()) throw clash();
          await trx.insertInto('alert_channels').values(row).execute();
          const origin = row.url === null ? null : new URL(row.url).origin;
          return {
            result: undefined,
            audit: {
              action: 'alert_channel.create',
              objectType: 'alert_channel',
              objectId: row.name,
              after: { kind: row.kind, origin, ...options },
            },
          };
        },
        actor,
      ),
    clash,
  );
  return channelFromRow(row, true);
}

/** Every channel, the built-in `log` first, then by name; secrets redacted. */
export async function listChannels(ctx: Context): Promise<AlertChannel[]> {
  const rows = await ctx.store.db.selectFrom('alert_channels').selectAll().orderBy('name').execute();
  return [BUILTIN_LOG, ...rows.map((r) => channelFromRow(r))];
}

/** One channel by name, secret redacted. */
export async function getChannel(ctx: Context, name: string): Promise<AlertChannel> {
  if (name === LOG_CHANNEL) return BUILTIN_LOG;
  const row = await ctx.store.db
    .selectFrom('alert_channels')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw notFound(`Alert channel '${name}' does not exist`, 'name');
  return channelFromRow(row);
}

/** `monitor (rule, rule)` for every monitor with a rule that notifies `channel`. */
async function monitorsUsing(db: Db, channel: string): Promise<string[]> {
  const monitors = await db.selectFrom('monitors').select(['name', 'spec']).orderBy('name').execute();
  const users: string[] = [];
  for (const m of monitors) {
    const spec = JSON.parse(m.spec) as { rules?: { name?: string; channels?: string[] }[] };
    const rules = (spec.rules ?? []).filter((r) => r.channels?.includes(channel)).map((r) => r.name);
    if (rules.length > 0) users.push(`${m.name} (${rules.map((r) => `'${r}'`).join(', ')})`);
  }
  return users;
}

/**
 * Deletes a channel, refused while a monitor's rule still notifies it (events of that rule would
 * otherwise have nowhere to go). Deliveries already queued to it fail when they are next tried.
 */
export async function deleteChannel(ctx: Context, name: string, actor: Actor): Promise<void> {
  if (name === LOG_CHANNEL)
    throw invalidParam(`channel '${LOG_CHANNEL}' is built in (the server log) and cannot be deleted`, 'name');
  await audited(
    ctx,
    async (trx) => {
      const row = await trx
        .selectFrom('alert_channels')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) throw notFound(`Alert channel '${name}' does not exist`, 'name');
      const users = await monitorsUsing(trx, name);
      if (users.length > 0)
        throw invalidParam(
          `Alert channel '${name}' is used by monitor ${users.join(', ')}; remove it from those rules first`,
          'name',
        );
      await trx.deleteFrom('alert_channels').where('name', '=', name).execute();
      const origin = row.url === null ? null : new URL(row.url).origin;
      return {
        result: undefined,
        audit: {
          action: 'alert_channel.delete',
          objectType: 'alert_channel',
          objectId: name,
          before: { kind: row.kind, origin },
        },
      };
    },
    actor,
  );
}

/**
 * Checks that every named channel exists (`log` always does); throws one 400 naming all unknown
 * ones. Pass the transaction that stores the monitor, so the check and the write agree.
 */
export async function requireChannels(db: Db, names: readonly string[], field = 'channels'): Promise<void> {
  const wanted = [...new Set(names)].filter((n) => n !== LOG_CHANNEL);
  if (wanted.length === 0) return;
  const found = await db.selectFrom('alert_channels').select('name').where('name', 'in', wanted).execute();
  const known = new Set(found.map((r) => r.name));
  const unknown = wanted.filter((n) => !known.has(n));
  if (unknown.length > 0)
    throw invalidParam(
      `Unknown alert channel${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}: create ${unknown.length > 1 ? 'them' : 'it'} with 'keel alerts channel create', or use '${LOG_CHANNEL}'`,
      field,
    );
}
