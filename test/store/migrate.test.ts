import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { migrate, pendingMigrations } from '../../src/store/migrate.js';

const PG_URL = process.env.KEEL_TEST_POSTGRES_URL;

// SQLite's concurrent first start is covered with real processes in test/cli/cli.e2e.test.ts
// (better-sqlite3 is synchronous, so in-process concurrency would not exercise the lock).
describe.skipIf(!PG_URL)('migrations on PostgreSQL', () => {
  it('replicas starting together on a fresh schema migrate once, under the advisory lock', async () => {
    const schema = `keel_t_mig_${process.pid}_${Date.now()}`;
    const config = { kind: 'postgres' as const, url: PG_URL!, schema };
    const stores = Array.from({ length: 5 }, () => openStore(config));
    try {
      await Promise.all(stores.map((s) => migrate(s, config)));
      expect(await pendingMigrations(stores[0]!, config)).toEqual([]);
      const exps = await stores[0]!.db.selectFrom('experiments').select('name').execute();
      expect(exps).toEqual([{ name: 'Default' }]);
      const heads = await stores[1]!.db.selectFrom('audit_head').selectAll().execute();
      expect(heads).toEqual([{ id: 1, seq: 0, hash: '0'.repeat(64) }]);
    } finally {
      // The schema is dropped with the others at the end of the run (test/global-setup.ts).
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
