import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { apiErrorFrom } from './errors.js';

/** One API call, independent of how it travels (HTTP, or in-process `inject` in the CLI). */
export interface TransportRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute path, already URL-encoded, e.g. `/api/v1/runs/abc`. */
  path: string;
  /** Query parameters; arrays repeat the key, undefined values are left out. */
  query?: Record<string, string | number | string[] | undefined>;
  /** A JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** A raw body (sent as application/octet-stream unless a content-type header says otherwise). */
  body?: Readable | Uint8Array;
  headers?: Record<string, string>;
}

export interface TransportResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  json(): Promise<unknown>;
  stream(): Readable;
}

/**
 * How the SDK reaches a server. Implementations may throw a KeelApiError for non-2xx answers
 * or return them: the client checks the status either way.
 */
export interface Transport {
  request(r: TransportRequest): Promise<TransportResponse>;
}

/** The query string for a request (`?a=1&b=x&b=y`), or '' when there is none. */
export function queryString(query: TransportRequest['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Throws the KeelApiError for a non-2xx response; 2xx responses pass through. */
export async function ensureOk(res: TransportResponse): Promise<TransportResponse> {
  if (res.status >= 200 && res.status < 300) return res;
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  throw apiErrorFrom(res.status, body);
}

/** HTTP(S) to a Keel server with Node's global fetch (connections are kept alive by default). */
export class HttpTransport implements Transport {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token?: string,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  /** Sends one request; non-2xx answers reject with a KeelApiError. */
  async request(r: TransportRequest): Promise<TransportResponse> {
    const headers: Record<string, string> = { ...r.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | Uint8Array | Readable | undefined;
    if (r.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(r.json);
    } else if (r.body !== undefined) {
      headers['content-type'] ??= 'application/octet-stream';
      body = r.body;
    }
    const url = `${this.base}${r.path}${queryString(r.query)}`;
    let res: Response;
    try {
      // duplex 'half' is required to stream a request body with fetch.
      res = await fetch(url, { method: r.method, headers, body, duplex: 'half' } as RequestInit);
    } catch (e) {
      throw new Error(`Could not reach Keel at ${this.base}: ${(e as Error).cause ?? (e as Error).message}`, {
        cause: e,
      });
    }
    const out: TransportResponse = {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      json: async () => {
        const text = await res.text();
        try {
          return text ? JSON.parse(text) : undefined;
        } catch {
          return text;
        }
      },
      stream: () =>
        res.body
          ? Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>)
          : Readable.from([]),
    };
    return ensureOk(out);
  }
}
