import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Keel } from '../sdk/index.js';
import type { Transport, TransportRequest, TransportResponse } from '../sdk/transport.js';
import { INTERNAL_ACTOR_HEADER, internalActorHeader } from './internal-actor.js';

/**
 * Sends the SDK's requests to an in-process app with `app.inject()`: the CLI's local mode runs
 * exactly the server's routes, validation and auditing, with no port opened.
 */
export class InjectTransport implements Transport {
  constructor(
    private readonly app: FastifyInstance,
    private readonly actor?: string,
  ) {}

  async request(r: TransportRequest): Promise<TransportResponse> {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.query ?? {})) {
      if (v === undefined) continue;
      query[k] = Array.isArray(v) ? v.map(String) : String(v);
    }
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (this.actor) headers[INTERNAL_ACTOR_HEADER] = internalActorHeader(this.actor);
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
 * An SDK client on an in-process app. With `actor`, requests are made as that actor with the admin
 * role (pipelines act as `pipeline:<name>`), so their changes are audited under that name.
 */
export function inProcessKeel(app: FastifyInstance, actor?: string): Keel {
  return new Keel({ transport: new InjectTransport(app, actor) });
}
