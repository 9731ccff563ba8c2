import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { JOB_STATUSES, type JobInfo, type JobStatus } from '../../jobs/types.js';
import type { Keel } from '../../sdk/index.js';
import type { Jobs } from '../../sdk/jobs.js';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

/** `keel jobs ls|show|retry`: the durable job queue (`keel worker` runs its jobs). */

const out = (s: string): void => void process.stdout.write(`${s}\n`);

// Over the client's own transport, so it works before and after `keel.jobs` is part of the client.
const jobsOf = (keel: Keel): Jobs => keel.jobs;

const colour = (s: JobStatus): string =>
  s === 'succeeded' ? pc.green(s) : s === 'dead' ? pc.red(s) : s === 'running' ? pc.cyan(s) : pc.yellow(s);

/** A whole number from a flag, or a clear error naming the flag. */
function whole(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw invalidParam(`${flag} must be a whole number, got '${value}'`, flag);
  return Number(value);
}

function jobId(id: string): number {
  if (!/^\d+$/.test(id)) throw invalidParam(`job id must be a whole number, got '${id}'`, 'id');
  return Number(id);
}

const duration = (ms: number): string =>
  ms < 1000
    ? `${ms} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms < 3_600_000
        ? `${+(ms / 60_000).toFixed(1)} min`
        : `${+(ms / 3_600_000).toFixed(1)} h`;

/** What a job is doing or did, in a few words: when it runs next, how long it took. */
function when(j: JobInfo): string {
  if (j.status === 'queued') return j.runAt > Date.now() ? `due ${fmtTime(j.runAt)}` : 'due now';
  if (j.status === 'running') return `since ${fmtTime(j.startedAt)}`;
  const took =
    j.finishedAt !== null && j.startedAt !== null ? ` (${duration(j.finishedAt - j.startedAt)})` : '';
  return `${fmtTime(j.finishedAt)}${took}`;
}

export interface ListOptions {
  status?: string;
  kind?: string;
  limit?: string;
  json?: boolean;
}

/** `keel jobs ls [--status dead] [--kind K]`: newest first. */
export async function ls(opts: ListOptions, cmd: Command): Promise<void> {
  if (opts.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(opts.status))
    throw invalidParam(
      `--status must be one of ${JOB_STATUSES.join(', ')}, got '${opts.status}'`,
      '--status',
    );
  const limit = whole(opts.limit, '--limit');
  await withKeel(cmd, async ({ keel }) => {
    const jobs = await jobsOf(keel).list({
      status: opts.status as JobStatus | undefined,
      kind: opts.kind,
      limit,
    });
    if (opts.json) return printJson(jobs);
    if (jobs.length === 0) return out('no jobs');
    printTable(
      ['id', 'kind', 'status', 'attempts', 'created', 'when', 'last error'],
      jobs.map((j) => [
        j.id,
        j.kind,
        colour(j.status),
        `${j.attempts}/${j.maxAttempts}`,
        fmtTime(j.createdAt),
        when(j),
        j.lastError ?? '',
      ]),
    );
  });
}

/** `keel jobs show 42`: payload, attempts and every kept error. */
export async function show(id: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const n = jobId(id);
  await withKeel(cmd, async ({ keel }) => {
    const j = await jobsOf(keel).get(n);
    if (opts.json) return printJson(j);
    out(`job ${j.id}  ${j.kind}  ${colour(j.status)}`);
    out(
      `  attempts ${j.attempts}/${j.maxAttempts}  backoff ${duration(j.backoffMs)} doubling (max ${duration(j.backoffMaxMs)})`,
    );
    out(`  timeout ${j.timeoutMs === null ? 'none' : duration(j.timeoutMs)}  priority ${j.priority}`);
    if (j.dedupeKey !== null) out(`  dedupe key ${j.dedupeKey}`);
    out(`  created ${fmtTime(j.createdAt)}  run at ${fmtTime(j.runAt)}`);
    if (j.startedAt !== null) out(`  latest attempt started ${fmtTime(j.startedAt)}`);
    if (j.finishedAt !== null) out(`  finished ${when(j)}`);
    if (j.status === 'running') out(`  leased by ${j.leaseOwner} until ${fmtTime(j.leaseUntil)}`);
    out(`  payload ${JSON.stringify(j.payload)}`);
    if (j.result !== null) out(`  result ${JSON.stringify(j.result)}`);
    if (j.errors.length > 0)
      printTable(
        ['attempt', 'failed at', 'error'],
        j.errors.map((e) => [e.attempt, fmtTime(e.at), e.error]),
      );
    if (j.status === 'dead') out(pc.dim(`run it again with: keel jobs retry ${j.id}`));
  });
}

/** `keel jobs retry 42`: a dead job gets a fresh round of attempts. */
export async function retry(id: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const n = jobId(id);
  await withKeel(cmd, async ({ keel }) => {
    const j = await jobsOf(keel).retry(n);
    if (opts.json || cmd.optsWithGlobals<{ json?: boolean }>().json) return printJson(j);
    out(`job ${j.id} (${j.kind}) queued again, due now`);
  });
}
