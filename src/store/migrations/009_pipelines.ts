import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(_db: Kysely<unknown>, _adapter: DialectAdapter): Promise<void> {}
