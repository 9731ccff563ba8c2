import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { withKeel } from '../connect.js';

async function review(
  status: 'approved' | 'rejected',
  ref: string,
  opts: { reason?: string },
  cmd: Command,
): Promise<void> {
  if (status === 'rejected' && !opts.reason?.trim())
    throw invalidParam('a rejection needs a --reason', 'reason');
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    const after = await keel.models.review(`${v.name}@${v.version}`, status, opts.reason ?? '');
    process.stdout.write(
      `${pc.bold(`${v.name}@${v.version}`)} ${after.approval.status} by ${after.approval.actor}${opts.reason ? `: ${opts.reason}` : ''}\n`,
    );
  });
}

/** `keel models approve credit@3 --reason "…"`. */
export const approve = (ref: string, opts: { reason?: string }, cmd: Command) =>
  review('approved', ref, opts, cmd);
/** `keel models reject credit@3 --reason "…"`. */
export const reject = (ref: string, opts: { reason?: string }, cmd: Command) =>
  review('rejected', ref, opts, cmd);
