import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

/** `keel alerts channel …`: the channels alert events go to (the built-in server log, webhooks). */

const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** A whole number from a flag, or a clear error naming the flag. */
function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw invalidParam(`${flag} must be a whole number, got '${value}'`, flag);
  return Number(value);
}

export interface CreateOptions {
  webhook: string;
  secret?: string;
  maxAttempts?: string;
  backoffMs?: string;
  timeoutMs?: string;
  json?: boolean;
}

/** `keel alerts channel create ops --webhook https://… [--secret S]`: prints the secret once. */
export async function create(name: string, opts: CreateOptions, cmd: Command): Promise<void> {
  const numbers = {
    maxAttempts: int(opts.maxAttempts, '--max-attempts'),
    backoffMs: int(opts.backoffMs, '--backoff-ms'),
    timeoutMs: int(opts.timeoutMs, '--timeout-ms'),
  };
  await withKeel(cmd, async ({ keel }) => {
    const c = await keel.alerts.channels.create({
      name,
      kind: 'webhook',
      url: opts.webhook,
      ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
      ...Object.fromEntries(Object.entries(numbers).filter(([, v]) => v !== undefined)),
    });
    if (opts.json) return printJson(c);
    out(`created webhook channel ${pc.bold(c.name)} → ${c.url}`);
    out(`  up to ${c.maxAttempts} attempts, backoff from ${c.backoffMs} ms, timeout ${c.timeoutMs} ms`);
    out(`  signing secret: ${c.secret}`);
    out(
      pc.dim(
        '  It will not be shown again: store it now. Each POST carries X-Keel-Signature: sha256=<HMAC-SHA256 of the body with this secret>.',
      ),
    );
  });
}

/** `keel alerts channel ls`. */
export async function ls(opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const channels = await keel.alerts.channels.list();
    if (opts.json) return printJson(channels);
    printTable(
      ['name', 'kind', 'url', 'attempts', 'backoff ms', 'timeout ms', 'created'],
      channels.map((c) =>
        c.builtin
          ? [c.name, c.kind, '(server log, built in)', '', '', '', '']
          : [c.name, c.kind, c.url ?? '', c.maxAttempts, c.backoffMs, c.timeoutMs, fmtTime(c.createdAt)],
      ),
    );
  });
}

/** `keel alerts channel rm ops`: refused while a monitor's rule notifies it. */
export async function rm(name: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    await keel.alerts.channels.delete(name);
    out(`deleted alert channel ${name}`);
  });
}
