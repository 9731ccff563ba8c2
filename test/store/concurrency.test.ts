import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
import { createVersion } from '../../src/data/versions.js';
import { createExperiment } from '../../src/tracking/experiments.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';

/** Writers racing for the same name or number get typed answers, never a 500. */
describe.each(DIALECTS)('concurrent writers (%s)', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await testEnv(dialect);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('versions added to one dataset at once get consecutive numbers', async () => {
    const blobs = await Promise.all(Array.from({ length: 6 }, (_, i) => env.ctx.blobs.put(`content ${i}`)));
    const results = await Promise.all(
      blobs.map((b, i) =>
        createVersion(
          env.ctx,
          {
            name: 'loans',
            files: [{ path: `part-${i}.csv`, ...b }],
            rows: 0,
            badRows: 0,
            schema: null,
            profile: null,
          },
          `writer${i}`,
        ),
      ),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(results.map((r) => r.version.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('experiments and tokens created under one name at once: one wins, the rest RESOURCE_ALREADY_EXISTS', async () => {
    const exps = await Promise.allSettled(
      Array.from({ length: 4 }, () => createExperiment(env.ctx, { name: 'race' }, 'x')),
    );
    expect(exps.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of exps.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    }
    const toks = await Promise.allSettled(
      Array.from({ length: 4 }, () => createToken(env.ctx, 'ci', 'editor', 'x')),
    );
    expect(toks.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of toks.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    }
  });
});
