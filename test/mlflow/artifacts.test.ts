/**
 * Conformance of the MLflow artifact proxy (`mlflow server --serve-artifacts`) and of
 * `/api/2.0/mlflow/artifacts/list` with mlflow_artifacts.proto and tests/tracking/
 * test_mlflow_artifacts.py (/work/shared/reference/mlflow.md §1.3).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, testApp } from '../helpers/context.js';
import {
  AJAX_PROXY,
  type Client,
  client,
  createExperiment,
  createRun,
  expectError,
  type Json,
  listen,
  PROXY,
  rawRequest,
  snapshot,
} from './client.js';

describe.each(DIALECTS)('MLflow artifact proxy (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;

  beforeAll(async () => {
    env = await testApp(dialect);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}, base = PROXY) =>
    env.app.inject({ method: 'PUT', url: `${base}/${path}`, payload: body, headers });
  const get = (path: string, base = PROXY) => env.app.inject({ method: 'GET', url: `${base}/${path}` });
  const del = (path: string) => env.app.inject({ method: 'DELETE', url: `${PROXY}/${path}` });
  const list = async (dir?: string, base = PROXY) => {
    const r = await env.app.inject({
      method: 'GET',
      url: dir === undefined ? base : `${base}?path=${encodeURIComponent(dir)}`,
    });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as Json;
  };

  describe('PUT / GET', () => {
    it('uploads raw bytes (PUT → {}) and downloads the same bytes', async () => {
      const r = await put('up/a.txt', 'hello world', { 'content-type': 'application/octet-stream' });
      expect(r.statusCode).toBe(200);
      expect(r.body).toBe('{}');
      const g = await get('up/a.txt');
      expect(g.statusCode).toBe(200);
      expect(g.body).toBe('hello world');
      expect(g.headers['content-length']).toBe('11');
    });

    it('a 5 MiB body round-trips byte for byte', async () => {
      const big = randomBytes(5 * 1024 * 1024);
      const r = await put('big/blob.bin', big, { 'content-type': 'application/octet-stream' });
      expect(r.statusCode, r.body).toBe(200);
      const g = await get('big/blob.bin');
      expect(g.statusCode).toBe(200);
      expect(g.rawPayload.length).toBe(big.length);
      expect(g.rawPayload.equals(big)).toBe(true);
      expect((await list('big')).files).toEqual([
        { path: 'blob.bin', is_dir: false, file_size: 5 * 1024 * 1024 },
      ]);
    });

    it('a binary body with every byte value round-trips', async () => {
      const bin = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
      expect((await put('bin/all-bytes.dat', bin)).statusCode).toBe(200);
      const g = await get('bin/all-bytes.dat');
      expect(g.rawPayload.equals(bin)).toBe(true);
    });

    it('bodies are stored verbatim whatever their Content-Type (JSON is not parsed)', async () => {
      const json = '{"a": 1,   "b": [1,2]}';
      expect((await put('verbatim/x.json', json, { 'content-type': 'application/json' })).statusCode).toBe(
        200,
      );
      expect((await get('verbatim/x.json')).body).toBe(json);
      expect(
        (await put('verbatim/y.txt', 'k=v&x=y', { 'content-type': 'application/x-www-form-urlencoded' }))
          .statusCode,
      ).toBe(200);
      expect((await get('verbatim/y.txt')).body).toBe('k=v&x=y');
    });

    it('an empty body creates an empty file', async () => {
      expect((await put('empty/zero.txt', '')).statusCode).toBe(200);
      const g = await get('empty/zero.txt');
      expect(g.statusCode).toBe(200);
      expect(g.body).toBe('');
      expect((await list('empty')).files).toEqual([{ path: 'zero.txt', is_dir: false, file_size: 0 }]);
    });

    it('PUT on an existing path replaces the file', async () => {
      await put('replace/f.txt', 'one');
      await put('replace/f.txt', 'second');
      expect((await get('replace/f.txt')).body).toBe('second');
      expect((await list('replace')).files).toEqual([{ path: 'f.txt', is_dir: false, file_size: 6 }]);
    });

    it.each([
      ['mime/notes.txt', 'text/plain'],
      ['mime/image.png', 'image/png'],
      ['mime/doc.pdf', 'application/pdf'],
      ['mime/model/MLmodel', 'text/plain'],
      ['mime/MLproject', 'text/plain'],
      ['mime/model.pkl', 'application/octet-stream'],
      ['mime/data.unknownext', 'application/octet-stream'],
      ['mime/noextension', 'application/octet-stream'],
    ])('GET %s → Content-Type %s, attachment disposition, nosniff', async (path, type) => {
      // The upload's own Content-Type is ignored: the type comes from the name.
      expect((await put(path, 'x', { 'content-type': 'application/json' })).statusCode).toBe(200);
      const g = await get(path);
      expect(g.statusCode).toBe(200);
      expect(String(g.headers['content-type']).split(';')[0]).toBe(type);
      const base = path.split('/').pop()!;
      expect(String(g.headers['content-disposition'])).toMatch(
        new RegExp(`^attachment; filename="?${base}"?$`),
      );
      expect(g.headers['x-content-type-options']).toBe('nosniff');
    });

    it('GET of a missing file → 404 RESOURCE_DOES_NOT_EXIST', async () => {
      const g = await get('nope/missing.txt');
      expect(g.statusCode).toBe(404);
      expect(g.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.any(String) });
    });

    it('works under /ajax-api/2.0/mlflow-artifacts/artifacts', async () => {
      expect((await put('ajax/a.txt', 'via ajax', {}, AJAX_PROXY)).statusCode).toBe(200);
      expect((await get('ajax/a.txt')).body).toBe('via ajax');
      expect((await get('ajax/a.txt', AJAX_PROXY)).body).toBe('via ajax');
      expect(await list('ajax', AJAX_PROXY)).toEqual({
        files: [{ path: 'a.txt', is_dir: false, file_size: 8 }],
      });
    });

    // The router decodes %25 once; the name must not be decoded a second time (MLflow's urllib
    // unquoting leaves a lone '%' alone).
    it('a file name containing a percent sign round-trips', async () => {
      const r = await put('pct/100%25.txt', 'percent');
      expect(r.statusCode, r.body).toBe(200);
      expect((await get('pct/100%25.txt')).body).toBe('percent');
      expect((await list('pct')).files).toEqual([{ path: '100%.txt', is_dir: false, file_size: 7 }]);
    });
  });

  describe('list', () => {
    beforeAll(async () => {
      await put('tree/a.txt', 'a');
      await put('tree/b.bin', 'bb');
      await put('tree/dir/c.txt', 'ccc');
      await put('tree/dir/sub/d.txt', 'dddd');
      await put('tree-sibling/e.txt', 'e');
    });

    it('lists immediate children with paths relative to the listed dir; dirs have is_dir and no file_size', async () => {
      const b = await list('tree');
      expect(b).toEqual({
        files: [
          { path: 'a.txt', is_dir: false, file_size: 1 },
          { path: 'b.bin', is_dir: false, file_size: 2 },
          { path: 'dir', is_dir: true },
        ],
      });
      expect(b.files[2]).not.toHaveProperty('file_size');
      expect(await list('tree/dir')).toEqual({
        files: [
          { path: 'c.txt', is_dir: false, file_size: 3 },
          { path: 'sub', is_dir: true },
        ],
      });
      expect(await list('tree/dir/sub')).toEqual({ files: [{ path: 'd.txt', is_dir: false, file_size: 4 }] });
    });

    it('file_size is a JSON number', async () => {
      const r = await env.app.inject({ method: 'GET', url: `${PROXY}?path=tree` });
      expect(r.body).toContain('"file_size":1');
    });

    it('a trailing slash on the dir is harmless; a prefix that is not a dir lists nothing', async () => {
      expect(await list('tree/')).toEqual(await list('tree'));
      expect(await list('tre')).toEqual({});
      expect(await list('does/not/exist')).toEqual({});
    });

    it('the root lists top-level dirs', async () => {
      const b = await list();
      const names = b.files.map((f: Json) => f.path);
      expect(names).toEqual(expect.arrayContaining(['tree', 'tree-sibling']));
      for (const f of b.files) if (f.path === 'tree') expect(f).toEqual({ path: 'tree', is_dir: true });
    });
  });

  describe('DELETE', () => {
    it('deletes a file ({}), then GET → 404', async () => {
      await put('del/one.txt', '1');
      await put('del/two.txt', '2');
      const r = await del('del/one.txt');
      expect(r.statusCode).toBe(200);
      expect(r.body).toBe('{}');
      expect((await get('del/one.txt')).statusCode).toBe(404);
      expect((await get('del/two.txt')).body).toBe('2');
    });

    it('deletes a whole directory', async () => {
      await put('deldir/x/1.txt', '1');
      await put('deldir/x/y/2.txt', '2');
      await put('deldir/keep.txt', 'k');
      await put('deldir/x-sibling.txt', 's');
      expect((await del('deldir/x')).statusCode).toBe(200);
      expect(await list('deldir')).toEqual({
        files: [
          { path: 'keep.txt', is_dir: false, file_size: 1 },
          { path: 'x-sibling.txt', is_dir: false, file_size: 1 },
        ],
      });
      expect((await get('deldir/x/y/2.txt')).statusCode).toBe(404);
    });

    it('content shared by two paths survives deleting one of them', async () => {
      await put('shared/a.txt', 'same bytes');
      await put('shared/b.txt', 'same bytes');
      await del('shared/a.txt');
      expect((await get('shared/b.txt')).body).toBe('same bytes');
    });

    it('DELETE of a missing path → 404 RESOURCE_DOES_NOT_EXIST', async () => {
      const r = await del('never/was.txt');
      expect(r.statusCode).toBe(404);
      expect(r.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('path traversal', () => {
    let port: number;
    beforeAll(async () => {
      await put('safe/inside.txt', 'inside');
      port = await listen(env.app);
    });

    // Sent raw: inject()'s URL parsing would resolve the dot segments before the router sees them.
    const traversals: [string, string][] = [
      ['GET', `${PROXY}/safe/../safe/inside.txt`],
      ['GET', `${PROXY}/../safe/inside.txt`],
      ['GET', `${PROXY}/safe/%2e%2e/safe/inside.txt`],
      ['GET', `${PROXY}/safe/%2E%2E/%2E%2E/etc/passwd`],
      ['GET', `${PROXY}/safe/..%2fsafe/inside.txt`],
      ['GET', `${PROXY}/%2e%2e%2f%2e%2e%2fetc%2fpasswd`],
      ['PUT', `${PROXY}/../evil.txt`],
      ['PUT', `${PROXY}/safe/%2e%2e/%2e%2e/evil.txt`],
      ['DELETE', `${PROXY}/safe/../safe`],
      ['DELETE', `${PROXY}/%2e%2e/safe`],
      ['GET', `${PROXY}?path=../safe`],
      ['GET', `${PROXY}?path=safe/%2e%2e/..`],
      ['GET', `${PROXY}?path=%2e%2e`],
      ['GET', `${AJAX_PROXY}/safe/%2e%2e/safe/inside.txt`],
    ];
    it.each(traversals)(
      '%s %s → 400 {"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid path"}',
      async (method, path) => {
        const before = await snapshot(env.ctx);
        const r = await rawRequest(port, method, path, method === 'PUT' ? 'evil' : undefined);
        expect(r.status, r.raw).toBe(400);
        expect(r.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
        expect(await snapshot(env.ctx)).toEqual(before);
      },
    );

    it('plain requests through the same raw transport still work', async () => {
      const r = await rawRequest(port, 'GET', `${PROXY}/safe/inside.txt`);
      expect(r.status).toBe(200);
      expect(r.raw).toBe('inside');
    });
  });
});

describe.each(DIALECTS)('MLflow artifacts/list for a run (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let c: Client;
  let run: Json;
  let prefix: string;

  beforeAll(async () => {
    env = await testApp(dialect);
    c = client(env.app);
    const exp = await createExperiment(c, 'artifact-runs');
    run = (await createRun(c, exp)).info;
    // mlflow-artifacts:/<exp>/<run>/artifacts → proxy path <exp>/<run>/artifacts
    expect(run.artifact_uri).toMatch(/^mlflow-artifacts:\//);
    prefix = String(run.artifact_uri).replace(/^mlflow-artifacts:\/+/, '');
    expect(prefix).toBe(`${exp}/${run.run_id}/artifacts`);
    for (const [p, body] of [
      ['a.txt', 'A'],
      ['dir/b.txt', 'BB'],
      ['dir/sub/c.txt', 'CCC'],
      ['model/MLmodel', 'flavors: {}'],
    ] as const) {
      const r = await env.app.inject({ method: 'PUT', url: `${PROXY}/${prefix}/${p}`, payload: body });
      expect(r.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('root: root_uri is the run artifact_uri; paths are relative to the run root', async () => {
    const b = await c.okGet('/artifacts/list', { run_id: run.run_id });
    expect(b).toEqual({
      root_uri: run.artifact_uri,
      files: [
        { path: 'a.txt', is_dir: false, file_size: 1 },
        { path: 'dir', is_dir: true },
        { path: 'model', is_dir: true },
      ],
    });
  });

  it('a sub-directory lists paths relative to the run root (dir/b.txt)', async () => {
    expect(await c.okGet('/artifacts/list', { run_id: run.run_id, path: 'dir' })).toEqual({
      root_uri: run.artifact_uri,
      files: [
        { path: 'dir/b.txt', is_dir: false, file_size: 2 },
        { path: 'dir/sub', is_dir: true },
      ],
    });
    expect(await c.okGet('/artifacts/list', { run_id: run.run_id, path: 'dir/sub' })).toEqual({
      root_uri: run.artifact_uri,
      files: [{ path: 'dir/sub/c.txt', is_dir: false, file_size: 3 }],
    });
  });

  it('run_uuid is accepted; an empty dir has root_uri and no files', async () => {
    expect(await c.okGet('/artifacts/list', { run_uuid: run.run_id, path: 'nothing-here' })).toEqual({
      root_uri: run.artifact_uri,
    });
  });

  it('the MLmodel file downloads as text/plain through the proxy', async () => {
    const g = await env.app.inject({ method: 'GET', url: `${PROXY}/${prefix}/model/MLmodel` });
    expect(g.statusCode).toBe(200);
    expect(String(g.headers['content-type']).split(';')[0]).toBe('text/plain');
    expect(g.body).toBe('flavors: {}');
  });

  it('../ in path → 400 Invalid path; an unknown run → 404', async () => {
    for (const path of ['../x', 'dir/../../..', '%2e%2e/x', '/etc']) {
      const r = await c.get('/artifacts/list', { run_id: run.run_id, path });
      expect(r.status, `${path}: ${r.raw}`).toBe(400);
      expect(r.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
    }
    expectError(await c.get('/artifacts/list', { run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('runs of different experiments do not see each other', async () => {
    const exp2 = await createExperiment(c, 'artifact-runs-2');
    const other = (await createRun(c, exp2)).info;
    expect(await c.okGet('/artifacts/list', { run_id: other.run_id })).toEqual({
      root_uri: other.artifact_uri,
    });
  });
});
