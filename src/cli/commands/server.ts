import type { Command } from 'commander';
import { serverConfigFrom } from '../../core/config.js';
import { startServer } from '../../server/start.js';

/** `keel server`: listens until SIGINT/SIGTERM, then closes connections and storage cleanly. */
export async function run(_opts: unknown, cmd: Command): Promise<void> {
  const config = serverConfigFrom(cmd.optsWithGlobals(), process.env);
  const server = await startServer(config);
  process.stderr.write(`keel server listening on ${server.url} (data dir ${config.dataDir})\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
