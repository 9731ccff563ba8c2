/**
 * Webhook signatures. Every delivery carries `X-Keel-Signature: sha256=<hex>`, the HMAC-SHA256 of
 * the exact request body bytes keyed with the channel's secret (its UTF-8 bytes), so a receiver can
 * tell that the body came from Keel and was not changed on the way.
 *
 * How a receiver verifies (any language works the same way):
 *   1. read the raw request body as bytes, before any JSON parsing or re-serialising;
 *   2. compute `"sha256=" + hex(HMAC_SHA256(key = secret, message = body))`;
 *   3. compare it with the header in constant time; reject the request on any difference;
 *   4. optionally drop repeats by `X-Keel-Delivery` (a retried delivery keeps its id) and order or
 *      resume by the payload's `id` (alert event ids only increase).
 * In Node: `verifySignature(secret, rawBody, req.headers['x-keel-signature'])` from this module.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a webhook delivery (lower case, as Node presents them). */
export const SIGNATURE_HEADER = 'x-keel-signature';
export const EVENT_HEADER = 'x-keel-event';
export const DELIVERY_HEADER = 'x-keel-delivery';

/** `sha256=<hex HMAC-SHA256 of body keyed with secret>`. */
export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is the signature of `body` under `secret`, compared in constant time. */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  header: string | string[] | null | undefined,
): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signature(secret, body));
  const given = Buffer.from(header.trim());
  // timingSafeEqual throws on different lengths; the length of a valid signature is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
