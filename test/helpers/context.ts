import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Context, closeContext, openContext } from '../../src/context.js';
import type { Clock } from '../../src/core/clock.js';
import type { StorageConfig } from '../../src/core/config.js';
import { buildApp } from '../../src/server/app.js';

export type Dialect = 'sqlite' | 'postgres';

const PG_URL = process.env.KEEL_TEST_POSTGRES_URL;

/** SQLite always; PostgreSQL too when KEEL_TEST_POSTGRES_URL is set (CI sets it). */
export const DIALECTS: Dialect[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

if (!PG_URL && !process.env.KEEL_PG_SKIP_NOTICE_SHOWN) {
  process.env.KEEL_PG_SKIP_NOTICE_SHOWN = '1';
  console.warn(
    'KEEL_TEST_POSTGRES_URL is not set: PostgreSQL variants of the integration suites are skipped.',
  );
}

export interface TestEnv {
  ctx: Context;
  dir: string;
  config: StorageConfig;
  cleanup(): Promise<void>;
}

/**
 * A fresh, isolated store: a temp dir with its own SQLite file, or a PostgreSQL schema of its
 * own (dropped afterwards), plus an fs artifact store in the temp dir.
 */
export async function testEnv(dialect: Dialect, opts: { clock?: Clock } = {}): Promise<TestEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-test-'));
  const schema = `keel_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const config: StorageConfig = {
    dataDir: dir,
    database:
      dialect === 'sqlite'
        ? { kind: 'sqlite', file: path.join(dir, 'keel.db') }
        : { kind: 'postgres', url: PG_URL!, schema },
    artifacts: { kind: 'fs', root: path.join(dir, 'artifacts') },
  };
  const ctx = await openContext(config, opts.clock ? { clock: opts.clock } : {});
  return {
    ctx,
    dir,
    config,
    cleanup: async () => {
      // PostgreSQL schemas are dropped together at the end of the run (test/global-setup.ts).
      await closeContext(ctx);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A test env plus the in-process HTTP app on it (local mode: no token needed until one exists). */
export async function testApp(
  dialect: Dialect,
  opts: { clock?: Clock } = {},
): Promise<TestEnv & { app: FastifyInstance }> {
  const env = await testEnv(dialect, opts);
  const app = await buildApp(env.ctx, { allowLocal: true });
  return {
    ...env,
    app,
    cleanup: async () => {
      await app.close();
      await env.cleanup();
    },
  };
}
