import pg from 'pg';

const PG_URL = process.env.KEEL_TEST_POSTGRES_URL;

/** Drops every schema the suites created (all start with `keel_t_`). */
async function dropTestSchemas(): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname like 'keel\\_t\\_%'",
    );
    for (const r of rows) await c.query(`drop schema if exists "${r.nspname}" cascade`);
  } finally {
    await c.end();
  }
}

/**
 * Runs once per `vitest run`: says plainly which suites a run without PostgreSQL skips, and with
 * PostgreSQL drops the per-test schemas at the end. They are not dropped as each test ends: Kysely's
 * migrator introspects every schema, and a schema dropped by a parallel test file mid-scan makes
 * that scan fail.
 */
export default function setup(): (() => Promise<void>) | undefined {
  if (!PG_URL) {
    console.warn(
      '\n[keel] KEEL_TEST_POSTGRES_URL is not set: the PostgreSQL variants of the integration suites are SKIPPED ' +
        '(SQLite variants run). Set KEEL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run them.\n',
    );
    return undefined;
  }
  console.warn(`\n[keel] integration suites run on SQLite and PostgreSQL (${PG_URL})\n`);
  return dropTestSchemas;
}
