import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enqueue, getJob, type JobHandler, LEASE_EXPIRED, listJobs, Worker } from '../../src/jobs/index.js';
import { DIALECTS, testEnv } from '../helpers/context.js';
import { jobIn, sleep } from './helpers.js';

// The child runs the built dist/ (`npm run build`, as `npm test` does first).
const FIXTURE = path.resolve('test/jobs/fixtures/blocking-worker.mjs');
const LEASE_MS = 1000;

describe.each(DIALECTS)('a worker killed with SIGKILL mid-job (%s)', (dialect) => {
  it('loses nothing: once its lease expires the job runs elsewhere, and its effect happens once', async () => {
    const env = await testEnv(dialect);
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(env.config), String(LEASE_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let survivor: Worker | undefined;
    try {
      const id = await enqueue(env.ctx.store.db, {
        kind: 'sigkill.step',
        payload: { n: 21 },
        maxAttempts: 3,
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const started = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /started (\d+) (\d+)\n/.exec(out);
          if (m) resolve(`${m[1]} ${m[2]}`);
        });
        child.once('exit', (code) => reject(new Error(`worker child exited (${code}): ${stderr}`)));
      });
      expect(started).toBe(`${id} 1`);

      // Another worker is up all along, polling the same database.
      let pickedUpAt = 0;
      const handler: JobHandler<{ n: number }, { doubled: number }> = {
        async run(job) {
          pickedUpAt = Date.now();
          return { doubled: job.payload.n * 2 };
        },
        async onComplete(trx, _job, result) {
          await enqueue(trx, { kind: 'sigkill.after', payload: { by: 'survivor', result } });
        },
      };
      survivor = new Worker(env.ctx, {
        id: 'survivor',
        leaseMs: LEASE_MS,
        pollMs: 20,
        handlers: { 'sigkill.step': handler },
      });
      survivor.start();

      // While the child lives its heartbeats keep the lease, well past the first lease's end.
      const first = await getJob(env.ctx, id);
      await sleep(LEASE_MS * 1.6);
      const held = await getJob(env.ctx, id);
      expect(held).toMatchObject({ status: 'running', attempts: 1 });
      expect(held.leaseOwner).toMatch(new RegExp(`^child-${child.pid}#`));
      expect(held.leaseUntil!).toBeGreaterThan(first.leaseUntil!);
      expect(pickedUpAt).toBe(0);

      child.kill('SIGKILL');
      await once(child, 'exit');
      const leaseEnd = (await getJob(env.ctx, id)).leaseUntil!;

      const done = await jobIn(env, id, 'succeeded', 15_000);
      expect(pickedUpAt).toBeGreaterThanOrEqual(leaseEnd);
      expect(done).toMatchObject({ attempts: 2, result: { doubled: 42 }, leaseOwner: null });
      expect(done.errors).toEqual([{ attempt: 1, at: expect.any(Number), error: LEASE_EXPIRED }]);
      const effects = await listJobs(env.ctx, { kind: 'sigkill.after' });
      expect(effects.map((j) => j.payload)).toEqual([{ by: 'survivor', result: { doubled: 42 } }]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await survivor?.stop();
      await env.cleanup();
    }
  });
});
