import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { Keel } from '../sdk/index.js';
import type { Transport, TransportRequest, TransportResponse } from '../sdk/transport.js';

export interface Connection {
  keel: Keel;
  /** `local` works on a data dir in-process; `remote` talks to a server. */
  mode: 'local' | 'remote';
  where: string;
  close(): Promise<void>;
}

/**
 * Sends the SDK's requests to an in-process app with `app.inject()`: the CLI's local mode runs
 * exactly the server's routes, validation and auditing, with no port opened.
 */
class InjectTransport implements Transport {
  constructor(private readonly app: import('fastify').FastifyInstance) {}

  async request(r: TransportRequest): Promise<TransportResponse> {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.query ?? {})) {
      if (v === undefined) continue;
      query[k] = Array.isArray(v) ? v.map(String) : String(v);
    }
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    let payload: string | Buffer | Readable | undefined;
    if (r.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(r.json);
    } else if (r.body !== undefined) {
      headers['content-type'] ??= 'application/octet-stream';
      payload = r.body instanceof Readable ? r.body : Buffer.from(r.body);
    }
    const res = await this.app.inject({
      method: r.method as 'GET',
      url: r.path,
      query,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    return {
      status: res.statusCode,
      headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
      json: async () => (res.rawPayload.length ? JSON.parse(res.body) : {}),
      stream: () => Readable.from(res.rawPayload),
    };
  }
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
    keel: new Keel({ transport: new InjectTransport(app) }),
    mode: 'local',
    where: config.dataDir,
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
