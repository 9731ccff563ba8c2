import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPipelineFile } from '../../src/cli/pipeline-file.js';
import { getJob } from '../../src/jobs/index.js';
import type { Keel } from '../../src/sdk/index.js';
import { pipelineWorker } from '../../src/server/automation.js';
import { inProcessKeel } from '../../src/server/inject.js';
import { DIALECTS, testApp } from '../helpers/context.js';

type Env = Awaited<ReturnType<typeof testApp>>;
const KEEL = path.resolve('bin/keel.js');
const PG_URL = process.env.KEEL_TEST_POSTGRES_URL;

/** A workspace folder with a keel.yaml and the files it names. */
function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-ws-'));
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), text);
  }
  return dir;
}

// Each command appends to a file outside the work dir: how many times it really ran.
const counter = (dir: string, name: string) => `echo x >> ${path.join(dir, `${name}.count`)}`;
const count = (dir: string, name: string): number => {
  const f = path.join(dir, `${name}.count`);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
};

const PIPELINE = (dir: string) => `
pipelines:
  sums:
    description: sum a CSV, then scale it
    params:
      scale: 2
    steps:
      prep:
        cmd:
          - ${counter(dir, 'prep')}
          - mkdir -p out && awk -F, 'NR>1{s+=$1+$2} END{print s}' data/raw.csv > out/sum.txt
          - printf '{"sum":%s}' $(cat out/sum.txt) > metrics.json
        deps: [data/raw.csv]
        outs: [out/sum.txt]
        metrics: [metrics.json]
      scale:
        cmd:
          - ${counter(dir, 'scale')}
          - echo $(( $(cat out/sum.txt) * \${params.scale} )) > out/scaled.txt
        deps: [out/sum.txt]
        outs: [out/scaled.txt]
      report:
        cmd:
          - ${counter(dir, 'report')}
          - cat out/scaled.txt && test "$KEEL_PARAM_SCALE" = "\${params.scale}"
        deps: [out/scaled.txt]
        params: [scale]
`;

async function runToEnd(
  env: Env,
  keel: Keel,
  name: string,
  opts: Parameters<Keel['pipelines']['run']>[1] = {},
) {
  const worker = pipelineWorker(env.ctx, env.app, { pollMs: 20 });
  worker.start();
  try {
    const started = await keel.pipelines.run(name, opts);
    return await keel.pipelines.wait(started.id, { intervalMs: 50, timeoutMs: 60_000 });
  } finally {
    await worker.stop();
  }
}

const text = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
};

describe.each(DIALECTS)('pipelines: runs, step cache, failures (%s)', (dialect) => {
  let env: Env;
  let ws: string;
  afterEach(async () => {
    await env?.cleanup();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('runs the DAG in order, records outputs and metrics as tracked runs, and reuses cached steps', async () => {
    env = await testApp(dialect);
    ws = workspace({ 'data/raw.csv': 'a,b\n1,2\n3,4\n' });
    fs.writeFileSync(path.join(ws, 'keel.yaml'), PIPELINE(ws));
    const keel = inProcessKeel(env.app);
    expect(await applyPipelineFile(keel, path.join(ws, 'keel.yaml'))).toEqual(['sums']);

    const first = await runToEnd(env, keel, 'sums');
    expect(first.status).toBe('succeeded');
    expect(first.steps.map((s) => [s.step, s.status, s.cached])).toEqual([
      ['prep', 'succeeded', false],
      ['scale', 'succeeded', false],
      ['report', 'succeeded', false],
    ]);
    expect(first.steps[0]!.metrics).toEqual({ sum: 10 });
    expect(Object.keys(first.steps[1]!.files)).toEqual(['out/scaled.txt']);
    expect(await text(await keel.pipelines.log(first.id, 'report'))).toContain('20');
    // Tracked: a parent run and one child run per step, tagged with the pipeline run.
    const child = await keel.runs.get(first.steps[0]!.trackedRunId!);
    expect(child.info.status).toBe('FINISHED');
    const tags = Object.fromEntries(child.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'keel.pipeline': 'sums',
      'keel.pipeline.run': String(first.id),
      'keel.pipeline.step': 'prep',
      'mlflow.parentRunId': first.trackedRunId,
    });
    expect((await keel.runs.get(first.trackedRunId!)).info.status).toBe('FINISHED');

    // Same inputs and params: nothing runs again.
    const second = await runToEnd(env, keel, 'sums');
    expect(second.status).toBe('succeeded');
    expect(second.steps.every((s) => s.cached)).toBe(true);
    expect(second.steps[0]!.metrics).toEqual({ sum: 10 });
    expect([count(ws, 'prep'), count(ws, 'scale'), count(ws, 'report')]).toEqual([1, 1, 1]);

    // A param change re-runs only the steps whose definition or params it touches.
    const third = await runToEnd(env, keel, 'sums', { params: ['scale=3'] });
    expect(third.steps.map((s) => s.cached)).toEqual([true, false, false]);
    expect(await text(await keel.pipelines.log(third.id, 'report'))).toContain('30');

    // A changed input file re-runs everything downstream of it; --force re-runs all.
    fs.writeFileSync(path.join(ws, 'data/raw.csv'), 'a,b\n1,2\n3,5\n');
    await applyPipelineFile(keel, path.join(ws, 'keel.yaml'));
    const fourth = await runToEnd(env, keel, 'sums', { params: ['scale=3'] });
    expect(fourth.steps.map((s) => s.cached)).toEqual([false, false, false]);
    expect(fourth.steps[0]!.metrics).toEqual({ sum: 11 });
    const forced = await runToEnd(env, keel, 'sums', { params: ['scale=3'], force: true });
    expect(forced.steps.map((s) => s.cached)).toEqual([false, false, false]);
    expect(count(ws, 'prep')).toBe(3);

    // Every run and its end are in the audit log.
    const audit = await env.ctx.store.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('object_type', '=', 'pipeline_run')
      .execute();
    expect(audit.filter((a) => a.action === 'pipeline.run')).toHaveLength(5);
    expect(
      audit.filter((a) => a.action === 'pipeline.run.finish' && a.actor === 'pipeline:sums'),
    ).toHaveLength(5);
  });

  it('fails a run at the failing step: its log is kept and nothing downstream runs', async () => {
    env = await testApp(dialect);
    ws = workspace({ 'data/raw.csv': 'a,b\n1,2\n' });
    fs.writeFileSync(
      path.join(ws, 'keel.yaml'),
      PIPELINE(ws)
        .replace('cat out/scaled.txt && test', 'echo about to fail && exit 3 && test')
        .replace('      scale:\n        cmd:', '      scale:\n        retries: 1\n        cmd:')
        .replace(`- ${counter(ws, 'scale')}`, `- ${counter(ws, 'scale')}\n          - exit 7`),
    );
    const keel = inProcessKeel(env.app);
    await applyPipelineFile(keel, path.join(ws, 'keel.yaml'));
    const run = await runToEnd(env, keel, 'sums');
    expect(run.status).toBe('failed');
    expect(run.steps.map((s) => [s.step, s.status])).toEqual([
      ['prep', 'succeeded'],
      ['scale', 'failed'],
      ['report', 'skipped'],
    ]);
    // One retry, then dead: the error names the command and its exit code.
    expect(run.steps[1]!.attempts).toBe(2);
    expect(run.steps[1]!.error).toMatch(/`exit 7` exited with code 7/);
    expect(run.error).toMatch(/step scale failed/);
    expect(count(ws, 'scale')).toBe(2);
    expect(count(ws, 'report')).toBe(0);
    expect(await text(await keel.pipelines.log(run.id, 'scale'))).toContain('$ exit 7');
    expect((await keel.runs.get(run.steps[1]!.trackedRunId!)).info.status).toBe('FAILED');
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    env = await testApp(dialect);
    ws = workspace({ 'data/raw.csv': 'a,b\n1,2\n' });
    const keel = inProcessKeel(env.app);
    const cyclic = `pipelines:\n  p:\n    steps:\n      a:\n        cmd: cp y x\n        deps: [y]\n        outs: [x]\n      b:\n        cmd: cp x y\n        deps: [x]\n        outs: [y]\n`;
    fs.writeFileSync(path.join(ws, 'keel.yaml'), cyclic);
    await expect(applyPipelineFile(keel, path.join(ws, 'keel.yaml'))).rejects.toThrow(
      /cycle.*a → b → a|b → a → b/,
    );
    fs.writeFileSync(
      path.join(ws, 'keel.yaml'),
      'pipelines:\n  p:\n    steps:\n      a:\n        uses: nope\n',
    );
    await expect(applyPipelineFile(keel, path.join(ws, 'keel.yaml'))).rejects.toThrow(/nope/);
    fs.writeFileSync(
      path.join(ws, 'keel.yaml'),
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: cat missing.csv\n        deps: [missing.csv]\n',
    );
    await expect(applyPipelineFile(keel, path.join(ws, 'keel.yaml'))).rejects.toThrow(/missing\.csv/);
    expect(await keel.pipelines.list()).toEqual([]);

    fs.writeFileSync(path.join(ws, 'keel.yaml'), PIPELINE(ws));
    await applyPipelineFile(keel, path.join(ws, 'keel.yaml'));
    await expect(keel.pipelines.run('sums', { params: ['scale=lots'] })).rejects.toThrow(/scale/);
    await expect(keel.pipelines.run('sums', { params: ['speed=2'] })).rejects.toThrow(/speed/);
    await expect(keel.pipelines.run('nope')).rejects.toThrow(/nope/);
    // A manifest naming a blob that was never uploaded is refused.
    await expect(
      keel.pipelines.apply({
        source: PIPELINE(ws),
        workspace: { 'data/raw.csv': { sha256: 'a'.repeat(64), size: 3 } },
      }),
    ).rejects.toThrow(/has not been uploaded/);
    expect(await keel.pipelines.runs()).toEqual([]);
  });
});

describe.each(DIALECTS)('a pipeline worker killed with SIGKILL mid-step (%s)', (dialect) => {
  it('loses nothing: the step runs again elsewhere and the pipeline completes once', async () => {
    const env = await testApp(dialect);
    const ws = workspace({ 'data/raw.csv': 'a,b\n1,2\n' });
    const gate = path.join(ws, 'release');
    const slow = `
pipelines:
  slow:
    steps:
      work:
        cmd:
          - ${counter(ws, 'work')}
          - while [ ! -e ${gate} ]; do sleep 0.05; done
          - mkdir -p out && cp data/raw.csv out/copy.csv
        deps: [data/raw.csv]
        outs: [out/copy.csv]
      after:
        cmd:
          - ${counter(ws, 'after')}
          - wc -l < out/copy.csv
        deps: [out/copy.csv]
`;
    fs.writeFileSync(path.join(ws, 'keel.yaml'), slow);
    const keel = inProcessKeel(env.app);
    await applyPipelineFile(keel, path.join(ws, 'keel.yaml'));
    const started = await keel.pipelines.run('slow');
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    if (env.config.database.kind === 'postgres')
      childEnv.KEEL_DATABASE_URL = `${PG_URL}?schema=${env.config.database.schema}`;
    const child = spawn(process.execPath, [KEEL, '--data-dir', env.dir, 'worker', '--lease-ms', '1000'], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let survivor: ReturnType<typeof pipelineWorker> | undefined;
    try {
      // The child picks the step up and blocks in it.
      for (let i = 0; i < 400 && count(ws, 'work') === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(count(ws, 'work')).toBe(1);
      const job = (await keel.pipelines.getRun(started.id)).steps[0]!.jobId!;
      child.kill('SIGKILL');
      await once(child, 'exit');
      // The command the dead worker started may outlive it; releasing the gate lets any copy finish.
      fs.writeFileSync(gate, '');
      survivor = pipelineWorker(env.ctx, env.app, { pollMs: 20, leaseMs: 1000 });
      survivor.start();
      const run = await keel.pipelines.wait(started.id, { intervalMs: 50, timeoutMs: 30_000 });
      expect(run.status).toBe('succeeded');
      expect(run.steps.map((s) => [s.step, s.status, s.attempts])).toEqual([
        ['work', 'succeeded', 2],
        ['after', 'succeeded', 1],
      ]);
      expect((await getJob(env.ctx, job)).attempts).toBe(2);
      expect(count(ws, 'work')).toBe(2);
      expect(count(ws, 'after')).toBe(1);
      const finished = await env.ctx.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', '=', 'pipeline.run.finish')
        .execute();
      expect(finished).toHaveLength(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await survivor?.stop();
      await env.cleanup();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
