import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/query.js';
import { enqueue, enqueueMany, getJob, listJobs, retryJob } from '../../src/jobs/index.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { keelError } from './helpers.js';

describe.each(DIALECTS)('enqueue and listing (%s)', (dialect) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await testEnv(dialect);
  });
  afterAll(() => env.cleanup());
  beforeEach(async () => {
    await env.ctx.store.db.deleteFrom('jobs').execute();
  });

  const count = async () =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('jobs')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('stores a job with its options and defaults, shown by getJob and listJobs', async () => {
    const before = Date.now();
    const id = await enqueue(env.ctx.store.db, { kind: 'mail.send', payload: { to: 'a@b.c', n: [1, 2] } });
    const later = await enqueue(env.ctx.store.db, {
      kind: 'report.build',
      runAt: new Date('2030-01-01T00:00:00Z'),
      priority: 5,
      maxAttempts: 7,
      backoffMs: 250,
      timeoutMs: 60_000,
    });
    const job = await getJob(env.ctx, id);
    expect(job).toMatchObject({
      id,
      kind: 'mail.send',
      status: 'queued',
      payload: { to: 'a@b.c', n: [1, 2] },
      result: null,
      attempts: 0,
      maxAttempts: 3,
      backoffMs: 1000,
      timeoutMs: null,
      priority: 0,
      dedupeKey: null,
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      errors: [],
    });
    expect(job.runAt).toBeGreaterThanOrEqual(before);
    expect(await getJob(env.ctx, later)).toMatchObject({
      runAt: Date.parse('2030-01-01T00:00:00Z'),
      priority: 5,
      maxAttempts: 7,
      backoffMs: 250,
      timeoutMs: 60_000,
    });
    expect((await listJobs(env.ctx)).map((j) => j.id)).toEqual([later, id]);
    expect((await listJobs(env.ctx, { kind: 'mail.send' })).map((j) => j.id)).toEqual([id]);
    expect(await listJobs(env.ctx, { status: 'dead' })).toEqual([]);
    expect(await listJobs(env.ctx, { limit: 1 })).toHaveLength(1);
    expect((await keelError(getJob(env.ctx, 999))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await keelError(listJobs(env.ctx, { limit: 0 }))).message).toMatch(/limit must be/);
    expect((await keelError(listJobs(env.ctx, { status: 'done' as 'dead' }))).message).toMatch(
      /status must be one of queued, running, succeeded, dead/,
    );
  });

  it('rejects bad options naming the field, and writes nothing from a batch with one bad job', async () => {
    const db = env.ctx.store.db;
    const cases: [Parameters<typeof enqueue>[1], RegExp, string][] = [
      [{ kind: '' }, /kind must be 1–100 letters/, 'kind'],
      [{ kind: 'has space' }, /kind must be/, 'kind'],
      [
        { kind: 'k', maxAttempts: 0 },
        /maxAttempts must be a whole number from 1 to 100, got 0/,
        'maxAttempts',
      ],
      [{ kind: 'k', backoffMs: -1 }, /backoffMs must be/, 'backoffMs'],
      [{ kind: 'k', timeoutMs: 1.5 }, /timeoutMs must be/, 'timeoutMs'],
      [{ kind: 'k', priority: Number.NaN }, /priority must be/, 'priority'],
      [{ kind: 'k', runAt: Number.POSITIVE_INFINITY }, /runAt must be epoch milliseconds/, 'runAt'],
      [{ kind: 'k', payload: { n: 10n } }, /payload is not JSON-serialisable/, 'payload'],
      [{ kind: 'k', payload: 'x'.repeat(1 << 20) }, /over the 1 MiB limit/, 'payload'],
      [{ kind: 'k', dedupeKey: '' }, /dedupeKey must be a string of 1–500 characters/, 'dedupeKey'],
    ];
    for (const [opts, message, field] of cases) {
      const e = await keelError(enqueue(db, opts));
      expect(e.code, field).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message, field).toMatch(message);
      expect(e.details?.field).toBe(field);
    }
    const e = await keelError(enqueueMany(db, [{ kind: 'ok' }, { kind: 'ok', maxAttempts: 1000 }]));
    expect(e.message).toMatch(/^jobs\[1\]\.maxAttempts must be/);
    expect(e.details?.field).toBe('jobs[1].maxAttempts');
    expect(await count()).toBe(0);
  });

  it('a dedupe key returns the existing job for as long as it exists, also within one batch', async () => {
    const db = env.ctx.store.db;
    const a = await enqueue(db, { kind: 'step', dedupeKey: 'run:1:train', payload: { v: 1 } });
    expect(await enqueue(db, { kind: 'step', dedupeKey: 'run:1:train', payload: { v: 2 } })).toBe(a);
    const ids = await enqueueMany(db, [
      { kind: 'step', payload: 'plain-1' },
      { kind: 'step', dedupeKey: 'run:1:train' },
      { kind: 'step', dedupeKey: 'run:1:eval', payload: 'eval' },
      { kind: 'step', payload: 'plain-2' },
      { kind: 'step', dedupeKey: 'run:1:eval', payload: 'eval again' },
    ]);
    expect(ids[1]).toBe(a);
    expect(ids[4]).toBe(ids[2]);
    expect(new Set(ids).size).toBe(4);
    expect((await getJob(env.ctx, ids[0]!)).payload).toBe('plain-1');
    expect((await getJob(env.ctx, ids[2]!)).payload).toBe('eval');
    expect((await getJob(env.ctx, ids[3]!)).payload).toBe('plain-2');
    expect((await getJob(env.ctx, a)).payload).toEqual({ v: 1 });
    // Still deduplicated after it finished: the key identifies the work, not the attempt.
    await db.updateTable('jobs').set({ status: 'succeeded' }).where('id', '=', a).execute();
    expect(await enqueue(db, { kind: 'step', dedupeKey: 'run:1:train' })).toBe(a);
    expect(await count()).toBe(4);
  });

  it("enqueues inside the caller's transaction: both commit or neither", async () => {
    const db = env.ctx.store.db;
    await expect(
      db.transaction().execute(async (trx) => {
        await enqueue(trx, { kind: 'next.step' });
        throw new Error('the step update failed');
      }),
    ).rejects.toThrow('the step update failed');
    expect(await count()).toBe(0);
    const id = await db.transaction().execute((trx) => enqueue(trx, { kind: 'next.step' }));
    expect((await getJob(env.ctx, id)).status).toBe('queued');
  });

  it('enqueueMany returns ids in order across chunks', async () => {
    const jobs = Array.from({ length: 1234 }, (_, i) => ({ kind: 'bulk', payload: i }));
    const ids = await enqueueMany(env.ctx.store.db, jobs);
    expect(ids).toHaveLength(1234);
    const rows = await env.ctx.store.db.selectFrom('jobs').select(['id', 'payload']).execute();
    const payloadOf = new Map(rows.map((r) => [Number(r.id), JSON.parse(r.payload)]));
    expect(ids.map((id) => payloadOf.get(id))).toEqual(jobs.map((j) => j.payload));
  });

  it('retryJob accepts only dead jobs or queued ones waiting to retry, and is audited', async () => {
    const db = env.ctx.store.db;
    const id = await enqueue(db, { kind: 'k' });
    const e = await keelError(retryJob(env.ctx, id, 'alice'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/Job \d+ is queued and has not failed yet; only dead jobs/);
    expect((await keelError(retryJob(env.ctx, 4242, 'alice'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    await db
      .updateTable('jobs')
      .set({ status: 'dead', attempts: 3, last_error: 'boom', finished_at: 1 })
      .where('id', '=', id)
      .execute();
    const revived = await retryJob(env.ctx, id, 'alice');
    expect(revived).toMatchObject({ status: 'queued', attempts: 0, lastError: 'boom', finishedAt: null });
    expect(revived.runAt).toBeLessThanOrEqual(Date.now());
    const [entry] = (await listAudit(env.ctx, { objectType: 'job', limit: 10 })).entries;
    expect(entry).toMatchObject({ actor: 'alice', action: 'job.retry', objectId: String(id) });
  });
});
