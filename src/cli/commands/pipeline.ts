import fs from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import type { PipelineRun } from '../../sdk/pipelines.js';
import { type Connection, withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';
import { applyPipelineFile } from '../pipeline-file.js';

/**
 * `keel pipeline apply|run|ls|show|runs|status|logs|cancel|rm`. A pipeline file's workspace deps are
 * hashed here (with the state cache in `.keel/state.db` next to the file, so unchanged files are
 * not re-read), uploaded once as content-addressed blobs, and applied; `run` then starts a run and
 * follows it. In local mode (no server) this process also works the queue until the run ends.
 */

const out = (s: string): void => void process.stdout.write(`${s}\n`);

interface FileOpt {
  file?: string;
}

const defaultFile = (opts: FileOpt): string | undefined =>
  opts.file ?? (fs.existsSync('keel.yaml') ? 'keel.yaml' : undefined);

export async function applyCmd(opts: FileOpt & { json?: boolean }, cmd: Command): Promise<void> {
  const file = defaultFile(opts);
  if (!file) throw invalidParam('no pipeline file: pass --file or run next to a keel.yaml', '--file');
  await withKeel(cmd, async ({ keel }) => {
    const names = await applyPipelineFile(keel, file);
    if (opts.json) printJson(await Promise.all(names.map((n) => keel.pipelines.get(n))));
    else for (const n of names) out(`applied pipeline ${pc.bold(n)}`);
  });
}

const mark = (status: string): string =>
  ({
    succeeded: pc.green('✓'),
    failed: pc.red('✗'),
    running: pc.yellow('…'),
    queued: pc.dim('·'),
    pending: pc.dim('·'),
    skipped: pc.dim('-'),
    cancelled: pc.dim('-'),
  })[status] ?? status;

function printRun(run: PipelineRun): void {
  out(
    `run ${pc.bold(String(run.id))} of ${run.pipeline} (revision ${run.revision}) — ${run.status}, triggered by ${run.trigger}${run.triggerKey ? ` (${run.triggerKey})` : ''}`,
  );
  printTable(
    ['', 'step', 'status', 'attempts', 'cache', 'took', 'outputs / metrics'],
    run.steps.map((s) => [
      mark(s.status),
      s.step,
      s.status,
      s.attempts,
      s.cached ? 'hit' : s.cacheKey ? 'miss' : '',
      s.startedAt && s.finishedAt ? `${((s.finishedAt - s.startedAt) / 1000).toFixed(1)} s` : '',
      Object.entries({ ...s.outputs, ...s.metrics })
        .slice(0, 4)
        .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
        .join(' '),
    ]),
  );
  if (run.error) out(pc.red(run.error));
}

/** Follows a run until it ends, printing each step as it moves; works the queue in local mode. */
async function follow(c: Connection, id: number, quiet: boolean): Promise<PipelineRun> {
  let worker: { start(): void; stop(): Promise<void> } | undefined;
  if (c.local) {
    const { pipelineWorker } = await import('../../server/automation.js');
    worker = pipelineWorker(c.local.ctx, c.local.app, { pollMs: 50 });
    worker.start();
  }
  const seen = new Map<string, string>();
  try {
    return await c.keel.pipelines.wait(id, {
      onChange: (run) => {
        if (quiet) return;
        for (const s of run.steps) {
          const key = `${s.status}/${s.attempts}`;
          if (seen.get(s.step) === key || s.status === 'pending') continue;
          seen.set(s.step, key);
          const extra =
            s.status === 'failed' || (s.status === 'queued' && s.error)
              ? `: ${s.error?.split('\n')[0]}`
              : s.cached
                ? ' (cache hit)'
                : '';
          process.stderr.write(`  ${mark(s.status)} ${s.step} ${s.status}${extra}\n`);
        }
      },
    });
  } finally {
    await worker?.stop();
  }
}

export interface RunOpts extends FileOpt {
  param?: string[];
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

export async function runCmd(name: string, opts: RunOpts, cmd: Command): Promise<void> {
  const file = defaultFile(opts);
  await withKeel(cmd, async (c) => {
    if (file) {
      const names = await applyPipelineFile(c.keel, file);
      if (opts.file && !names.includes(name))
        throw invalidParam(`${file} defines no pipeline '${name}' (it has ${names.join(', ')})`, 'name');
    }
    const started = await c.keel.pipelines.run(name, {
      ...(opts.param?.length ? { params: opts.param } : {}),
      ...(opts.force ? { force: true } : {}),
    });
    if (opts.wait === false && !c.local) {
      if (opts.json) printJson(started);
      else out(`started run ${started.id} of ${name} (${started.status})`);
      return;
    }
    if (!opts.json) out(`run ${started.id} of ${name} started`);
    const run = await follow(c, started.id, Boolean(opts.json));
    if (opts.json) printJson(run);
    else printRun(run);
    if (run.status !== 'succeeded') {
      const failed = run.steps.find((s) => s.status === 'failed');
      if (failed?.logSha256 && !opts.json) {
        out(pc.dim(`— last lines of ${failed.step}'s log (keel pipeline logs ${run.id} ${failed.step}) —`));
        const text = await streamText(await c.keel.pipelines.log(run.id, failed.step));
        out(text.trimEnd().split('\n').slice(-15).join('\n'));
      }
      process.exitCode = 1;
    }
  });
}

async function streamText(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function ls(opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const pipelines = await keel.pipelines.list();
    if (opts.json) return printJson(pipelines);
    printTable(
      ['pipeline', 'steps', 'triggers', 'revision', 'updated'],
      pipelines.map((p) => [
        p.name,
        Object.keys(p.spec.steps).join(' → '),
        p.spec.triggers.map((t) => t.kind).join(', ') || 'manual',
        p.revision,
        fmtTime(p.updatedAt),
      ]),
    );
  });
}

export async function show(name: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const p = await keel.pipelines.get(name);
    if (opts.json) return printJson(p);
    out(
      `${pc.bold(p.name)} — ${p.description || 'no description'} (revision ${p.revision}, from ${p.sourceFile})`,
    );
    const params = Object.values(p.spec.params);
    if (params.length) out(`params: ${params.map((d) => `${d.name}=${d.default} (${d.type})`).join(', ')}`);
    for (const t of p.spec.triggers) {
      if (t.kind === 'schedule') out(`trigger: schedule "${t.schedule}" (${t.timezone})`);
      else if (t.kind === 'dataset') out(`trigger: new version of dataset ${t.dataset}`);
      else
        out(
          `trigger: alert ${t.on} ${[t.monitor && `monitor=${t.monitor}`, t.deployment && `deployment=${t.deployment}`, t.route && `route=${t.route}`, t.rule && `rule="${t.rule}"`].filter(Boolean).join(' ')}`,
        );
    }
    printTable(
      ['step', 'runs', 'deps / with', 'outs'],
      Object.values(p.spec.steps).map((s) => [
        s.name,
        s.kind === 'cmd' ? s.cmd.join(' && ') : `uses ${s.uses}`,
        s.kind === 'cmd' ? s.deps.join(', ') : JSON.stringify(s.with),
        s.kind === 'cmd' ? s.outs.join(', ') : '',
      ]),
    );
  });
}

export async function runs(
  name: string | undefined,
  opts: { json?: boolean; status?: string; limit?: string },
  cmd: Command,
): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const list = await keel.pipelines.runs({
      ...(name ? { pipeline: name } : {}),
      ...(opts.status ? { status: opts.status as PipelineRun['status'] } : {}),
      limit: opts.limit ? Number(opts.limit) : 20,
    });
    if (opts.json) return printJson(list);
    printTable(
      ['run', 'pipeline', 'status', 'trigger', 'steps', 'created', 'took'],
      list.map((r) => [
        r.id,
        r.pipeline,
        r.status,
        r.trigger,
        r.steps.map((s) => mark(s.status)).join(''),
        fmtTime(r.createdAt),
        r.startedAt && r.finishedAt ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s` : '',
      ]),
    );
  });
}

const runId = (v: string): number => {
  if (!/^\d+$/.test(v)) throw invalidParam(`run id must be a number, got '${v}'`, 'run-id');
  return Number(v);
};

export async function status(
  id: string,
  opts: { json?: boolean; wait?: boolean },
  cmd: Command,
): Promise<void> {
  await withKeel(cmd, async (c) => {
    const run = opts.wait
      ? await follow(c, runId(id), Boolean(opts.json))
      : await c.keel.pipelines.getRun(runId(id));
    if (opts.json) printJson(run);
    else printRun(run);
  });
}

export async function logs(id: string, step: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    process.stdout.write(await streamText(await keel.pipelines.log(runId(id), step)));
  });
}

export async function cancel(id: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const run = await keel.pipelines.cancel(runId(id));
    out(`run ${run.id} cancelled`);
  });
}

export async function rm(name: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    await keel.pipelines.delete(name);
    out(`deleted pipeline ${name}`);
  });
}

/** `keel worker`: works the job queue (pipeline steps) until SIGINT/SIGTERM. */
export async function worker(opts: { concurrency?: string; leaseMs?: string }, cmd: Command): Promise<void> {
  const concurrency = opts.concurrency ? Number(opts.concurrency) : 2;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw invalidParam(
      `--concurrency must be a positive whole number, got '${opts.concurrency}'`,
      '--concurrency',
    );
  const leaseMs = opts.leaseMs ? Number(opts.leaseMs) : undefined;
  if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= 100))
    throw invalidParam(
      `--lease-ms must be a whole number of milliseconds ≥ 100, got '${opts.leaseMs}'`,
      '--lease-ms',
    );
  await withKeel(cmd, async (c) => {
    if (!c.local)
      throw invalidParam(
        'keel worker works on the metadata database directly: give it --data-dir or KEEL_DATABASE_URL (not --url)',
        '--url',
      );
    const { pipelineWorker } = await import('../../server/automation.js');
    const w = pipelineWorker(c.local.ctx, c.local.app, { concurrency, ...(leaseMs ? { leaseMs } : {}) });
    w.start();
    out(`worker ${w.id} on ${c.where}: ${concurrency} step(s) at a time; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
    });
    await w.stop();
  });
}
