import type { AuditRecord } from '../audit/query.js';
import type { VerifyResult } from '../audit/verify.js';
import type { Role } from '../auth/roles.js';
import type { TokenInfo } from '../auth/tokens.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

/** `keel.tokens` (admin role): API tokens. */
export class Tokens {
  constructor(private readonly api: Api) {}

  /** Creates a token; `token` is the secret, shown this once. The first token ends tokenless local mode. */
  create(input: { name: string; role: Role }): Promise<{ token: string; info: TokenInfo }> {
    return this.api.json({ method: 'POST', path: '/api/v1/tokens', json: input });
  }

  /** All tokens, revoked ones included. */
  async list(): Promise<TokenInfo[]> {
    return (await this.api.json<{ tokens: TokenInfo[] }>({ method: 'GET', path: '/api/v1/tokens' })).tokens;
  }

  /** Revokes a token by name; it stops working at once. */
  async revoke(name: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `/api/v1/tokens/${seg(name)}` });
  }
}

export interface AuditPage {
  entries: AuditRecord[];
  /** Pass back as `afterSeq` for the next page; absent on the last page. */
  nextAfterSeq?: number;
}

/** `keel.audit`: the hash-chained audit log. */
export class Audit {
  constructor(private readonly api: Api) {}

  /** Audit entries oldest first, optionally for one object type or object. */
  list(
    opts: { objectType?: string; objectId?: string; limit?: number; afterSeq?: number } = {},
  ): Promise<AuditPage> {
    return this.api.json({ method: 'GET', path: '/api/v1/audit', query: { ...opts } });
  }

  /** Recomputes the whole chain on the server. */
  verify(): Promise<VerifyResult> {
    return this.api.json({ method: 'GET', path: '/api/v1/audit/verify' });
  }
}
