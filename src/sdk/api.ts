import type { Readable } from 'node:stream';
import { ensureOk, type Transport, type TransportRequest } from './transport.js';

/** The shared request helper of the SDK areas: every call is checked for a 2xx status. */
export class Api {
  constructor(readonly transport: Transport) {}

  /** Sends a request and returns its JSON body. */
  async json<T>(r: TransportRequest): Promise<T> {
    const res = await ensureOk(await this.transport.request(r));
    return (await res.json()) as T;
  }

  /** Sends a request and returns its body as a byte stream. */
  async stream(r: TransportRequest): Promise<Readable> {
    const res = await ensureOk(await this.transport.request(r));
    return res.stream();
  }
}
