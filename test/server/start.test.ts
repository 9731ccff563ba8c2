import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
import { closeContext, openContext } from '../../src/context.js';
import { serverConfigFrom } from '../../src/core/config.js';
import { startServer } from '../../src/server/start.js';

describe('keel server start-up and auth modes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-start-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (flags: Record<string, unknown>) =>
    serverConfigFrom({ dataDir: dir, port: '0', logLevel: 'silent', ...flags }, {});

  it('refuses a non-loopback address without tokens, naming the fix', async () => {
    await expect(startServer(config({ host: '0.0.0.0' }))).rejects.toThrow(/keel token create|--insecure/);
  });

  it('starts on a non-loopback address with --insecure', async () => {
    const s = await startServer(config({ host: '0.0.0.0', insecure: true }));
    try {
      const port = new URL(s.url.replace('0.0.0.0', '127.0.0.1')).port;
      const r = await fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/experiments/get?experiment_id=0`);
      expect(r.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('local mode on loopback until the first token exists; then every route but health needs one', async () => {
    const s = await startServer(config({ host: '127.0.0.1' }));
    try {
      const get = (p: string, token?: string) =>
        fetch(`${s.url}${p}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      expect((await get('/api/2.0/mlflow/experiments/get?experiment_id=0')).status).toBe(200);

      const { token } = await createToken(s.ctx, 'reader', 'viewer', 'local');
      const denied = await get('/api/2.0/mlflow/experiments/get?experiment_id=0');
      expect(denied.status).toBe(401);
      expect(await denied.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
      expect((await get('/health')).status).toBe(200);
      expect((await get('/ready')).status).toBe(200);
      expect((await get('/api/2.0/mlflow/experiments/get?experiment_id=0', token)).status).toBe(200);
      expect((await get('/api/2.0/mlflow/experiments/get?experiment_id=0', 'keel_wrong')).status).toBe(401);

      const write = await fetch(`${s.url}/api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'nope' }),
      });
      expect(write.status).toBe(403);
      expect(await write.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    } finally {
      await s.close();
    }
  });

  it('a token created before start means no local mode at all', async () => {
    const ctx = await openContext(config({}));
    const { token } = await createToken(ctx, 'ci', 'editor', 'local');
    await closeContext(ctx);
    const s = await startServer(config({ host: '0.0.0.0' }));
    try {
      const base = s.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${base}/api/2.0/mlflow/experiments/get?experiment_id=0`)).status).toBe(401);
      const r = await fetch(`${base}/api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'by-ci' }),
      });
      expect(r.status).toBe(200);
      const audit = await s.ctx.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'experiment.create')
        .execute();
      expect(audit.map((a) => a.actor)).toEqual(['ci']);
    } finally {
      await s.close();
    }
  });
});
