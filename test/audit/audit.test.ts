import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/audit/verify.js';
import { createExperiment, setExperimentTag } from '../../src/tracking/experiments.js';
import { logBatch } from '../../src/tracking/logging.js';
import { createRun } from '../../src/tracking/runs.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';

describe.each(DIALECTS)('audit log (%s)', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await testEnv(dialect);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const entries = () => env.ctx.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();

  async function seedChain(): Promise<void> {
    const exp = await createExperiment(env.ctx, { name: 'credit' }, 'alice');
    await setExperimentTag(env.ctx, exp, { key: 'team', value: 'risk' }, 'bob');
    const run = await createRun(env.ctx, { experimentId: exp, runName: 'r1' }, 'ci');
    await logBatch(
      env.ctx,
      run.runId,
      { metrics: [{ key: 'acc', value: 0.9, timestamp: 1, step: 0 }] },
      'ci',
    );
  }

  it('records every state change with actor, action, object and a hash link', async () => {
    await seedChain();
    const log = await entries();
    expect(log.map((e) => [e.seq, e.actor, e.action, e.object_type])).toEqual([
      [1, 'alice', 'experiment.create', 'experiment'],
      [2, 'bob', 'experiment.set_tag', 'experiment'],
      [3, 'ci', 'run.create', 'run'],
      [4, 'ci', 'run.log', 'run'],
    ]);
    expect(JSON.parse(log[1]!.after!)).toEqual({ team: 'risk' });
    for (let i = 1; i < log.length; i++) expect(log[i]!.prev_hash).toBe(log[i - 1]!.hash);
    expect(await verifyAudit(env.ctx.store.db)).toEqual({ ok: true, checked: 4 });
  });

  it('a failed change writes no audit entry', async () => {
    await createExperiment(env.ctx, { name: 'x' }, 'alice');
    await expect(createExperiment(env.ctx, { name: 'x' }, 'alice')).rejects.toMatchObject({
      code: 'RESOURCE_ALREADY_EXISTS',
    });
    expect(await entries()).toHaveLength(1);
    expect((await verifyAudit(env.ctx.store.db)).ok).toBe(true);
  });

  it('detects an edited entry and names it', async () => {
    await seedChain();
    await env.ctx.store.db.updateTable('audit_log').set({ actor: 'mallory' }).where('seq', '=', 2).execute();
    expect(await verifyAudit(env.ctx.store.db)).toMatchObject({ ok: false, firstBad: { seq: 2 } });
  });

  it('detects a deleted entry in the middle', async () => {
    await seedChain();
    await env.ctx.store.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
    expect(await verifyAudit(env.ctx.store.db)).toMatchObject({ ok: false, firstBad: { seq: 3 } });
  });

  it('detects a deleted tail', async () => {
    await seedChain();
    await env.ctx.store.db.deleteFrom('audit_log').where('seq', '=', 4).execute();
    const r = await verifyAudit(env.ctx.store.db);
    expect(r.ok).toBe(false);
    expect(r.firstBad?.reason).toMatch(/deleted/);
  });

  it('detects reordered entries', async () => {
    await seedChain();
    const db = env.ctx.store.db;
    // Swap the contents of entries 2 and 3 while keeping the sequence numbers.
    await db.updateTable('audit_log').set({ seq: -2 }).where('seq', '=', 2).execute();
    await db.updateTable('audit_log').set({ seq: 2 }).where('seq', '=', 3).execute();
    await db.updateTable('audit_log').set({ seq: 3 }).where('seq', '=', -2).execute();
    expect(await verifyAudit(db)).toMatchObject({ ok: false, firstBad: { seq: 2 } });
  });

  it('concurrent writers form one unbroken chain', async () => {
    const ids = await Promise.all(
      Array.from({ length: 25 }, (_, i) => createExperiment(env.ctx, { name: `exp-${i}` }, `user${i % 3}`)),
    );
    expect(new Set(ids).size).toBe(25);
    const log = await entries();
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await verifyAudit(env.ctx.store.db)).toEqual({ ok: true, checked: 25 });
    const head = await sql<{ seq: number }>`select seq from audit_head where id = 1`.execute(
      env.ctx.store.db,
    );
    expect(Number(head.rows[0]!.seq)).toBe(25);
  });
});
