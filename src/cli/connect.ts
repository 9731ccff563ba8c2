import type { Command } from 'commander';
import { Keel } from '../sdk/index.js';
import { inProcessKeel } from '../server/inject.js';

export interface Connection {
  keel: Keel;
  /** `local` works on a data dir in-process; `remote` talks to a server. */
  mode: 'local' | 'remote';
  where: string;
  /** Local mode: the in-process context and app (e.g. to run a job worker while a command waits). */
  local?: { ctx: import('../context.js').Context; app: import('fastify').FastifyInstance };
  close(): Promise<void>;
}

/**
 * Connects a CLI command: `--url`/KEEL_URL → the server over HTTP (token from KEEL_TOKEN);
 * otherwise the local data dir (`--data-dir`/KEEL_DATA_DIR/./.keel), opened in-process.
 */
export async function connect(cmd: Command): Promise<Connection> {
  const g = cmd.optsWithGlobals<{ url?: string; dataDir?: string }>();
  const url = g.url ?? process.env.KEEL_URL;
  if (url) {
    const token = process.env.KEEL_TOKEN;
    return {
      keel: new Keel({ url, ...(token ? { token } : {}) }),
      mode: 'remote',
      where: url,
      close: async () => {},
    };
  }
  const [{ openContext, closeContext }, { storageConfigFrom }, { buildApp }] = await Promise.all([
    import('../context.js'),
    import('../core/config.js'),
    import('../server/app.js'),
  ]);
  const config = storageConfigFrom({ dataDir: g.dataDir }, process.env);
  const ctx = await openContext(config);
  const app = await buildApp(ctx, { allowLocal: true, trustLocal: true });
  return {
    keel: inProcessKeel(app),
    mode: 'local',
    where: config.dataDir,
    local: { ctx, app },
    close: async () => {
      await app.close();
      await closeContext(ctx);
    },
  };
}

/** Runs `fn` with a connection and always closes it. */
export async function withKeel<T>(cmd: Command, fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await connect(cmd);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
