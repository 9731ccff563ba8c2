/** Runs once per `vitest run`: says plainly which suites a run without PostgreSQL skips. */
export default function setup(): void {
  if (!process.env.KEEL_TEST_POSTGRES_URL) {
    console.warn(
      '\n[keel] KEEL_TEST_POSTGRES_URL is not set: the PostgreSQL variants of the integration suites are SKIPPED ' +
        '(SQLite variants run). Set KEEL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run them.\n',
    );
  } else {
    console.warn(
      `\n[keel] integration suites run on SQLite and PostgreSQL (${process.env.KEEL_TEST_POSTGRES_URL})\n`,
    );
  }
}
