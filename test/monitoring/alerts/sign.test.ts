import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signature, verifySignature } from '../../../src/monitoring/alerts/sign.js';

describe('webhook signatures', () => {
  const secret = 'a3f1c0ffee0ddba11deadbeefcafe000';
  const body = '{"id":7,"type":"alert.opened","message":"drift ≥ 0.5"}';
  // Computed independently of the module: HMAC-SHA256 over the UTF-8 body, keyed with the secret.
  const expected = `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex')}`;

  it('signs the body bytes with HMAC-SHA256 as sha256=<hex>', () => {
    expect(signature(secret, body)).toBe(expected);
    expect(signature(secret, Buffer.from(body, 'utf8'))).toBe(expected);
    expect(expected).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('matches a published HMAC-SHA256 test vector (RFC 4231 case 2)', () => {
    expect(signature('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('verifies the right signature and rejects tampering, other secrets and junk', () => {
    expect(verifySignature(secret, body, expected)).toBe(true);
    expect(verifySignature(secret, Buffer.from(body), ` ${expected} `)).toBe(true);
    expect(verifySignature(secret, body.replace('0.5', '0.6'), expected)).toBe(false);
    expect(verifySignature(`${secret}x`, body, expected)).toBe(false);
    expect(verifySignature(secret, body, expected.replace('sha256=', 'sha1='))).toBe(false);
    expect(verifySignature(secret, body, 'sha256=00')).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, [expected])).toBe(false);
  });
});
