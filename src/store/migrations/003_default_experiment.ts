import type { Kysely } from 'kysely';

/**
 * MLflow clients log to experiment "0" ("Default") when none is set, so it must always exist.
 * Its artifact location is relative to the artifact proxy, like every experiment's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = Date.now();
  await db
    .insertInto('experiments' as never)
    .values({
      experiment_id: '0',
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
    } as never)
    .execute();
}
