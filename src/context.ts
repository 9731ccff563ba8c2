import { createBlobStore } from './artifacts/index.js';
import type { BlobStore } from './artifacts/store.js';
import { type Clock, systemClock } from './core/clock.js';
import type { StorageConfig } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import { openStore, type Store } from './store/db.js';
import { migrate } from './store/migrate.js';

/**
 * The bundle of resources every domain receives: the metadata store, the blob store, a clock
 * and a logger. Built once at the edge (server start, CLI local mode, a test) and passed down,
 * so nothing deep inside reads the environment or a global.
 */
export interface Context {
  store: Store;
  blobs: BlobStore;
  clock: Clock;
  logger: Logger;
  config: StorageConfig;
}

export interface OpenOptions {
  clock?: Clock;
  logger?: Logger;
}

/** Opens storage described by `config`, runs migrations, and returns the shared context. */
export async function openContext(config: StorageConfig, opts: OpenOptions = {}): Promise<Context> {
  const store = openStore(config.database);
  try {
    await migrate(store, config.database);
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    store,
    blobs: createBlobStore(config.artifacts),
    clock: opts.clock ?? systemClock,
    logger: opts.logger ?? createLogger('silent'),
    config,
  };
}

/** Closes everything `openContext` opened. */
export async function closeContext(ctx: Context): Promise<void> {
  await Promise.all([ctx.store.close(), ctx.blobs.close()]);
}
