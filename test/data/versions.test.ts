import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/ids.js';
import { DIALECTS, type TestEnv, testApp } from '../helpers/context.js';

describe.each(DIALECTS)('dataset versions over /api/v1 (%s)', (dialect) => {
  let env: TestEnv & { app: import('fastify').FastifyInstance };
  beforeEach(async () => {
    env = await testApp(dialect);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const call = async (method: string, url: string, body?: unknown, raw?: Buffer) => {
    const r = await env.app.inject({
      method: method as 'GET',
      url,
      ...(raw ? { payload: raw, headers: { 'content-type': 'application/octet-stream' } } : {}),
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    const json = String(r.headers['content-type'] ?? '').startsWith('application/json');
    return { status: r.statusCode, body: json && r.body ? JSON.parse(r.body) : undefined, raw: r.rawPayload };
  };
  const upload = async (content: string) => {
    const buf = Buffer.from(content);
    const sha = sha256Hex(buf);
    const r = await call('PUT', `/api/v1/blobs/${sha}`, undefined, buf);
    expect(r.status).toBe(200);
    return { sha256: sha, size: buf.length };
  };
  const version = (files: { path: string; sha256: string; size: number }[], extra: object = {}) => ({
    files,
    rows: 2,
    badRows: 0,
    schema: { columns: [{ name: 'a', type: 'integer', nullable: false }] },
    profile: null,
    ...extra,
  });

  it('creates numbered versions, deduplicates identical content, resolves name, name@N and hash prefixes', async () => {
    const f1 = await upload('a\n1\n2\n');
    const r1 = await call(
      'POST',
      '/api/v1/datasets/loans/versions',
      version([{ path: 'train.csv', ...f1 }], { message: 'first' }),
    );
    expect(r1.status).toBe(200);
    expect(r1.body.created).toBe(true);
    expect(r1.body.version).toMatchObject({
      ref: 'loans@1',
      version: 1,
      fileCount: 1,
      rows: 2,
      message: 'first',
      createdBy: 'local',
    });

    const again = await call(
      'POST',
      '/api/v1/datasets/loans/versions',
      version([{ path: 'train.csv', ...f1 }]),
    );
    expect(again.body).toMatchObject({ created: false, version: { ref: 'loans@1' } });

    const f2 = await upload('a\n1\n2\n3\n');
    const r2 = await call('POST', '/api/v1/datasets/loans/versions', version([{ path: 'train.csv', ...f2 }]));
    expect(r2.body.version.ref).toBe('loans@2');

    expect((await call('GET', '/api/v1/datasets/loans')).body.ref).toBe('loans@2');
    expect((await call('GET', `/api/v1/datasets/${encodeURIComponent('loans@1')}`)).body.files).toEqual([
      { path: 'train.csv', ...f1 },
    ]);
    const prefix = r1.body.version.contentHash.slice(0, 8);
    expect((await call('GET', `/api/v1/datasets/${encodeURIComponent(`loans@${prefix}`)}`)).body.ref).toBe(
      'loans@1',
    );
    const list = await call('GET', '/api/v1/datasets?name=loans');
    expect(list.body.versions.map((v: { ref: string }) => v.ref)).toEqual(['loans@2', 'loans@1']);

    const audit = await env.ctx.store.db.selectFrom('audit_log').select(['action', 'object_id']).execute();
    expect(audit.filter((a) => a.action === 'dataset.version.create').map((a) => a.object_id)).toEqual([
      'loans@1',
      'loans@2',
    ]);
  });

  it('blobs: hash verified on upload, nothing kept on mismatch, referenced blobs cannot be deleted', async () => {
    const wrong = '0'.repeat(64);
    const bad = await call('PUT', `/api/v1/blobs/${wrong}`, undefined, Buffer.from('hello'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_PARAMETER_VALUE');
    expect((await call('GET', `/api/v1/blobs/${wrong}`)).status).toBe(404);

    const f = await upload('x,y\n1,2\n');
    expect((await call('GET', `/api/v1/blobs/${f.sha256}`)).raw.toString()).toBe('x,y\n1,2\n');
    await call('POST', '/api/v1/datasets/d/versions', version([{ path: 'a.csv', ...f }]));
    const del = await call('DELETE', `/api/v1/blobs/${f.sha256}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('RESOURCE_CONFLICT');

    const orphan = await upload('orphan');
    expect((await call('DELETE', `/api/v1/blobs/${orphan.sha256}`)).body).toEqual({ deleted: true });
    expect((await call('GET', `/api/v1/blobs/${orphan.sha256}`)).status).toBe(404);
  });

  it('bad versions are refused with the field named and nothing recorded', async () => {
    const f = await upload('a\n1\n');
    const cases: [string, unknown, RegExp][] = [
      ['/api/v1/datasets/bad%20name/versions', version([{ path: 'a.csv', ...f }]), /Invalid dataset name/],
      ['/api/v1/datasets/d/versions', version([]), /files/],
      ['/api/v1/datasets/d/versions', version([{ path: '../a.csv', ...f }]), /Invalid path/],
      [
        '/api/v1/datasets/d/versions',
        version([{ path: 'a.csv', size: f.size, sha256: 'f'.repeat(64) }]),
        /upload it first/,
      ],
      ['/api/v1/datasets/d/versions', version([{ path: 'a.csv', sha256: f.sha256, size: 999 }]), /999/],
      [
        '/api/v1/datasets/d/versions',
        version([
          { path: 'a.csv', ...f },
          { path: 'a.csv', ...f },
        ]),
        /listed twice/,
      ],
      ['/api/v1/datasets/d/versions', { ...version([{ path: 'a.csv', ...f }]), rows: -1 }, /rows/],
    ];
    for (const [url, body, msg] of cases) {
      const r = await call('POST', url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(msg);
    }
    expect(await env.ctx.store.db.selectFrom('dataset_versions').selectAll().execute()).toEqual([]);
    expect((await call('GET', '/api/v1/datasets/d')).status).toBe(404);
    expect((await call('GET', `/api/v1/datasets/${encodeURIComponent('d@zz')}`)).status).toBe(400);
  });

  it('lineage: runs that log the version as an input are listed with it', async () => {
    const f = await upload('a\n1\n');
    const v = (await call('POST', '/api/v1/datasets/loans/versions', version([{ path: 'a.csv', ...f }]))).body
      .version;
    const run = (await call('POST', '/api/v1/runs', { runName: 'train' })).body;
    await call('POST', `/api/v1/runs/${run.info.runId}/inputs`, {
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: { name: 'loans', digest: v.contentHash, sourceType: 'keel', source: `keel://${v.ref}` },
        },
      ],
    });
    const shown = await call('GET', '/api/v1/datasets/loans');
    expect(shown.body.runs).toEqual([{ runId: run.info.runId, runName: 'train', context: 'training' }]);
  });

  it('with tokens: HEAD answers blob presence for any reader, uploads need an editor', async () => {
    const { createToken } = await import('../../src/auth/tokens.js');
    const viewer = (await createToken(env.ctx, 'reader', 'viewer', 'local')).token;
    const editor = (await createToken(env.ctx, 'writer', 'editor', 'local')).token;
    const buf = Buffer.from('a,b\n1,2\n');
    const sha = sha256Hex(buf);
    const as = (token: string, method: 'HEAD' | 'PUT', payload?: Buffer) =>
      env.app.inject({
        method,
        url: `/api/v1/blobs/${sha}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        ...(payload ? { payload } : {}),
      });
    expect((await as(viewer, 'HEAD')).statusCode).toBe(404);
    expect((await as(viewer, 'PUT', buf)).statusCode).toBe(403);
    expect((await as(editor, 'PUT', buf)).statusCode).toBe(200);
    expect((await as(viewer, 'HEAD')).statusCode).toBe(200);
  });
});
