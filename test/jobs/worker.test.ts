import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Context, closeContext, openContext } from '../../src/context.js';
import {
  enqueue,
  enqueueMany,
  getJob,
  type JobHandler,
  LEASE_EXPIRED,
  listJobs,
  NonRetryableError,
  retryJob,
  Worker,
  type WorkerOptions,
} from '../../src/jobs/index.js';
import { claim } from '../../src/jobs/lease.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { deferred, jobIn, sleep, waitFor } from './helpers.js';

describe.each(DIALECTS)('worker (%s)', (dialect) => {
  let env: TestEnv;
  let workers: Worker[];
  let extra: Context[];
  // One store per dialect (migrating a PostgreSQL schema costs half a second); each test starts on an empty queue.
  beforeAll(async () => {
    env = await testEnv(dialect);
  });
  afterAll(() => env.cleanup());
  beforeEach(async () => {
    await env.ctx.store.db.deleteFrom('jobs').execute();
    workers = [];
    extra = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(extra.map(closeContext));
  });

  const start = (opts: WorkerOptions, ctx: Context = env.ctx): Worker => {
    const w = new Worker(ctx, { pollMs: 20, graceMs: 200, ...opts });
    workers.push(w);
    w.start();
    return w;
  };
  const db = () => env.ctx.store.db;

  it('retries a failing job with exponential backoff, then records the success and its result', async () => {
    const starts: number[] = [];
    const handler: JobHandler<{ n: number }, { doubled: number }> = {
      async run(job) {
        starts.push(Date.now());
        if (job.attempt < 3) throw new Error(`flaky ${job.attempt}`);
        return { doubled: job.payload.n * 2 };
      },
    };
    const id = await enqueue(db(), { kind: 'flaky', payload: { n: 21 }, backoffMs: 80, maxAttempts: 5 });
    start({ handlers: { flaky: handler } });
    const job = await jobIn(env, id, 'succeeded');
    expect(job).toMatchObject({
      attempts: 3,
      result: { doubled: 42 },
      lastError: 'flaky 2',
      leaseOwner: null,
    });
    expect(job.errors.map((e) => [e.attempt, e.error])).toEqual([
      [1, 'flaky 1'],
      [2, 'flaky 2'],
    ]);
    // 80 ms then 160 ms, each ±25 %.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(60);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(120);
    expect(job.finishedAt).toBeGreaterThanOrEqual(starts[2]!);
  });

  it('dead-letters after maxAttempts with onFail told which failure is final; retryJob runs it again', async () => {
    const fails: [number, boolean, string][] = [];
    let healthy = false;
    const handler: JobHandler<null, string> = {
      async run(job) {
        if (!healthy) throw new Error(`receiver down (attempt ${job.attempt})`);
        return 'sent';
      },
      async onFail(_trx, job, error, { final }) {
        fails.push([job.attempt, final, error.message]);
      },
    };
    const id = await enqueue(db(), { kind: 'send', backoffMs: 1, maxAttempts: 2 });
    start({ handlers: { send: handler } });
    const dead = await jobIn(env, id, 'dead');
    expect(dead).toMatchObject({ attempts: 2, lastError: 'receiver down (attempt 2)', leaseOwner: null });
    expect(fails).toEqual([
      [1, false, 'receiver down (attempt 1)'],
      [2, true, 'receiver down (attempt 2)'],
    ]);
    healthy = true;
    await retryJob(env.ctx, id, 'ops');
    const done = await jobIn(env, id, 'succeeded');
    expect(done).toMatchObject({ attempts: 1, result: 'sent' });
    expect(done.errors).toHaveLength(2);
  });

  it('a non-retryable error or a payload its handler rejects goes to dead at once', async () => {
    let runs = 0;
    const handlers: Record<string, JobHandler> = {
      strict: {
        parse(p) {
          if (typeof (p as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
          return p;
        },
        async run() {
          runs++;
        },
      },
      picky: {
        async run() {
          throw new NonRetryableError('unknown model loans@9');
        },
      },
    };
    const [bad, picky] = await enqueueMany(db(), [
      { kind: 'strict', payload: { n: 'x' }, maxAttempts: 5 },
      { kind: 'picky', maxAttempts: 5 },
    ]);
    start({ handlers });
    expect(await jobIn(env, bad!, 'dead')).toMatchObject({
      attempts: 1,
      lastError: 'payload rejected: n must be a number',
    });
    expect(await jobIn(env, picky!, 'dead')).toMatchObject({
      attempts: 1,
      lastError: 'unknown model loans@9',
    });
    expect(runs).toBe(0);
  });

  it('aborts an attempt at its timeout and retries it per policy', async () => {
    const reasons: string[] = [];
    const handler: JobHandler = {
      run: (_job, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            reasons.push(String((signal.reason as Error).message));
            reject(signal.reason);
          }),
        ),
    };
    const id = await enqueue(db(), { kind: 'slow', timeoutMs: 60, maxAttempts: 2, backoffMs: 1 });
    const t0 = Date.now();
    start({ handlers: { slow: handler } });
    const dead = await jobIn(env, id, 'dead');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(120);
    expect(dead).toMatchObject({ attempts: 2, lastError: 'timed out after 60 ms' });
    expect(reasons).toEqual(['timed out after 60 ms', 'timed out after 60 ms']);
  });

  it('a handler that ignores the timeout still fails at it, and keeps its slot until it returns', async () => {
    const release = deferred();
    const id = await enqueue(db(), { kind: 'stubborn', timeoutMs: 40, maxAttempts: 1 });
    const other = await enqueue(db(), { kind: 'quick' });
    const w = start({
      concurrency: 1,
      handlers: { stubborn: { run: () => release.promise }, quick: { run: async () => 'ok' } },
    });
    await jobIn(env, id, 'dead');
    await sleep(100);
    // The only slot is still held by the stubborn handler.
    expect((await getJob(env.ctx, other)).status).toBe('queued');
    expect(w.stats().running).toBe(1);
    release.resolve();
    expect((await jobIn(env, other, 'succeeded')).result).toBe('ok');
    expect((await getJob(env.ctx, id)).lastError).toBe('timed out after 40 ms');
  });

  it('two workers on separate connections never run the same job', async () => {
    const second = await openContext(env.config);
    extra.push(second);
    const calls = new Map<number, string[]>();
    const handler = (who: string): JobHandler => ({
      async run(job) {
        calls.set(job.id, [...(calls.get(job.id) ?? []), who]);
        await sleep(Math.random() * 3);
      },
    });
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 400 }, (_, i) => ({ kind: 'count', payload: i })),
    );
    const a = start({ id: 'a', concurrency: 6, batch: 4, handlers: { count: handler('a') } });
    const b = start({ id: 'b', concurrency: 6, batch: 4, handlers: { count: handler('b') } }, second);
    await waitFor(
      'all jobs to succeed',
      async () => (await listJobs(env.ctx, { status: 'succeeded', limit: 1000 })).length === 400,
    );
    expect([...calls.keys()].sort((x, y) => x - y)).toEqual(ids);
    expect([...calls.values()].filter((c) => c.length !== 1)).toEqual([]);
    const byWorker = [...calls.values()].flat();
    // Both took part: claims interleave.
    expect(byWorker.filter((w) => w === 'a').length).toBeGreaterThan(20);
    expect(byWorker.filter((w) => w === 'b').length).toBeGreaterThan(20);
    expect(a.stats().succeeded + b.stats().succeeded).toBe(400);
  });

  it('runs higher priority first and leaves jobs alone until their run time', async () => {
    const order: string[] = [];
    const handler: JobHandler<string> = {
      async run(job) {
        order.push(job.payload);
      },
    };
    const later = await enqueue(db(), {
      kind: 'p',
      payload: 'later',
      runAt: Date.now() + 300,
      priority: 100,
    });
    await enqueueMany(db(), [
      { kind: 'p', payload: 'low', priority: -1 },
      { kind: 'p', payload: 'normal' },
      { kind: 'p', payload: 'high', priority: 10 },
    ]);
    start({ concurrency: 1, handlers: { p: handler } });
    await waitFor('three jobs', async () => order.length === 3);
    expect(order).toEqual(['high', 'normal', 'low']);
    expect((await getJob(env.ctx, later)).status).toBe('queued');
    await jobIn(env, later, 'succeeded');
    expect(order).toEqual(['high', 'normal', 'low', 'later']);
  });

  it('onComplete commits with the completion: a throwing hook leaves no effect and the attempt is retried', async () => {
    let hookCalls = 0;
    const handler: JobHandler<null, number> = {
      async run(job) {
        return job.attempt * 10;
      },
      async onComplete(trx, job, result) {
        hookCalls++;
        await enqueue(trx, { kind: 'next', payload: { from: job.id, result } });
        if (hookCalls === 1) throw new Error('downstream table locked');
      },
    };
    const id = await enqueue(db(), { kind: 'step', backoffMs: 1 });
    start({ handlers: { step: handler } });
    const job = await jobIn(env, id, 'succeeded');
    expect(job).toMatchObject({ attempts: 2, result: 20 });
    expect(job.errors.map((e) => e.error)).toEqual(['onComplete hook failed: downstream table locked']);
    const next = await listJobs(env.ctx, { kind: 'next' });
    expect(next.map((j) => j.payload)).toEqual([{ from: id, result: 20 }]);
  });

  it('a worker whose lease was taken over cannot complete the job; the new holder does, once', async () => {
    const stalledGate = deferred<string>();
    const rescuerGate = deferred<string>();
    const completions: string[] = [];
    const handler = (who: string, gate: Promise<string>): JobHandler<null, string> => ({
      run: () => gate,
      async onComplete(trx, _job, result) {
        completions.push(`${who}:${result}`);
        await enqueue(trx, { kind: 'after', payload: result });
      },
    });
    const id = await enqueue(db(), { kind: 'step' });
    // A long lease and poll interval, so the stalled worker neither heartbeats nor claims again
    // during the test (it would find its own lapsed lease and take the job back).
    const stalled = start({
      id: 'stalled',
      leaseMs: 60_000,
      pollMs: 60_000,
      notify: false,
      handlers: { step: handler('stalled', stalledGate.promise) },
    });
    await jobIn(env, id, 'running');
    // As if `stalled` had frozen past its lease: the lease lapses and another worker claims the job.
    await db().updateTable('jobs').set({ lease_until: 0 }).where('id', '=', id).execute();
    start({ id: 'rescuer', handlers: { step: handler('rescuer', rescuerGate.promise) } });
    await waitFor('the rescuer to hold the job', async () => (await getJob(env.ctx, id)).attempts === 2);
    // The stalled worker wakes up and finishes first, while the rescuer still runs the job.
    stalledGate.resolve('stale');
    await waitFor('the stalled worker to give up', async () => stalled.stats().lost === 1);
    const mid = await getJob(env.ctx, id);
    expect(mid).toMatchObject({ status: 'running', attempts: 2, result: null });
    expect(mid.leaseOwner).toMatch(/^rescuer#/);
    expect(completions).toEqual([]);
    rescuerGate.resolve('fresh');
    const done = await jobIn(env, id, 'succeeded');
    expect(done).toMatchObject({ attempts: 2, result: 'fresh' });
    expect(done.errors.map((e) => e.error)).toEqual([LEASE_EXPIRED]);
    expect(completions).toEqual(['rescuer:fresh']);
    expect((await listJobs(env.ctx, { kind: 'after' })).map((j) => j.payload)).toEqual(['fresh']);
  });

  it('heartbeats keep a long attempt leased, and abort it when the lease is lost', async () => {
    const id = await enqueue(db(), { kind: 'long' });
    const aborted = deferred<string>();
    let runs = 0;
    start({
      leaseMs: 450,
      handlers: {
        long: {
          run: (_job, signal) => {
            runs++;
            return new Promise((_, reject) =>
              signal.addEventListener('abort', () => {
                aborted.resolve((signal.reason as Error).message);
                reject(signal.reason);
              }),
            );
          },
        },
      },
    });
    await jobIn(env, id, 'running');
    // A second worker keeps polling for expired leases from now on.
    start({ handlers: { long: { run: async () => 'stolen' } } }, env.ctx);
    // Well past the lease: only the heartbeats (every 150 ms) keep it.
    await sleep(1200);
    const held = await getJob(env.ctx, id);
    expect(held).toMatchObject({ status: 'running', attempts: 1 });
    expect(held.leaseUntil!).toBeGreaterThan(Date.now());
    expect(runs).toBe(1);
    // Someone else now holds it (e.g. an operator's tool, or a takeover after a stall).
    await db().updateTable('jobs').set({ lease_owner: 'elsewhere#1' }).where('id', '=', id).execute();
    expect(await aborted.promise).toBe('lease lost');
    await sleep(50);
    expect(await getJob(env.ctx, id)).toMatchObject({
      status: 'running',
      leaseOwner: 'elsewhere#1',
      lastError: null,
    });
  });

  it('a lapsed lease with no attempts left is dead-lettered with onFail(final)', async () => {
    const id = await enqueue(db(), { kind: 'once', maxAttempts: 1 });
    const finals: [string, boolean][] = [];
    const handler: JobHandler = {
      run: async () => 'never',
      async onFail(_trx, _job, error, { final }) {
        finals.push([error.message, final]);
      },
    };
    // A worker that claimed the job and died without a trace: its lease ends in 30 ms.
    const lost = await claim(env.ctx.store, {
      kinds: ['once'],
      limit: 1,
      token: 'ghost#1',
      leaseMs: 30,
      now: Date.now(),
      lease: (row, token) => ({
        row,
        token,
        handler,
        controller: new AbortController(),
        job: {
          id: row.id,
          kind: row.kind,
          payload: null,
          attempt: row.attempts,
          maxAttempts: 1,
          priority: 0,
          dedupeKey: null,
          timeoutMs: null,
          createdAt: 0,
          signal: new AbortController().signal,
        },
      }),
    });
    expect(lost.leases).toHaveLength(1);
    start({ handlers: { once: handler } });
    const dead = await jobIn(env, id, 'dead');
    expect(dead).toMatchObject({ attempts: 1, lastError: LEASE_EXPIRED, result: null });
    expect(finals).toEqual([[LEASE_EXPIRED, true]]);
  });

  it('stop() lets running handlers finish within the grace period, then hands the rest back', async () => {
    const [quick, stuck] = await enqueueMany(db(), [{ kind: 'quick' }, { kind: 'stuck', maxAttempts: 1 }]);
    const w = start({
      graceMs: 150,
      handlers: {
        quick: { run: () => sleep(50).then(() => 'finished') },
        stuck: {
          run: (_job, signal) =>
            new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        },
      },
    });
    await waitFor('both running', async () => w.stats().running === 2);
    await w.stop();
    expect(await getJob(env.ctx, quick!)).toMatchObject({ status: 'succeeded', result: 'finished' });
    // Handed back untouched: due now, and the interrupted attempt not counted against maxAttempts.
    expect(await getJob(env.ctx, stuck!)).toMatchObject({
      status: 'queued',
      attempts: 0,
      leaseOwner: null,
      lastError: null,
    });
    const after = await enqueue(db(), { kind: 'quick' });
    await sleep(80);
    expect((await getJob(env.ctx, after)).status).toBe('queued');
  });

  it('only claims kinds it has handlers for', async () => {
    const [mine, theirs] = await enqueueMany(db(), [{ kind: 'mine' }, { kind: 'theirs' }]);
    start({ handlers: { mine: { run: async () => 1 } } });
    await jobIn(env, mine!, 'succeeded');
    await sleep(60);
    expect((await getJob(env.ctx, theirs!)).status).toBe('queued');
  });

  it('rejects bad worker options', () => {
    expect(() => new Worker(env.ctx, { handlers: {}, concurrency: 0 })).toThrow(
      /concurrency must be a whole number/,
    );
    expect(() => new Worker(env.ctx, { handlers: {}, leaseMs: 5 })).toThrow(/leaseMs must be/);
  });
});
