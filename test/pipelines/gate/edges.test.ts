/**
 * The gate's edges: the REST route, the SDK and `keel models gate`, on an app serving the registry
 * and gate routes (the lead mounts the gate route in the native API; this app mounts it directly).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToken } from '../../../src/auth/tokens.js';
import { run as gateCommand } from '../../../src/cli/commands/models-gate.js';
import type { Context } from '../../../src/context.js';
import type { GateResult } from '../../../src/pipelines/gate/index.js';
import { getModelVersion } from '../../../src/registry/versions.js';
import { Api } from '../../../src/sdk/api.js';
import { Gates } from '../../../src/sdk/gates.js';
import { KeelApiError } from '../../../src/sdk/index.js';
import { registerAuth } from '../../../src/server/auth.js';
import { registerErrorHandler } from '../../../src/server/errors.js';
import { InjectTransport } from '../../../src/server/inject.js';
import { registerGateRoutes } from '../../../src/server/routes/v1/gates.js';
import { registerModelRoutes } from '../../../src/server/routes/v1/models.js';
import { DIALECTS, type TestEnv, testEnv } from '../../helpers/context.js';
import { registryCounts } from '../../registry/fixtures.js';
import { type GateWorld, gateWorld, register } from './fixture.js';

async function gateApp(ctx: Context): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app, app.initialConfig.bodyLimit ?? 0);
  app.removeContentTypeParser('text/plain');
  registerAuth(app, ctx, { allowLocal: true });
  registerModelRoutes(app, ctx);
  registerGateRoutes(app, ctx);
  await app.ready();
  return app;
}

describe.each(DIALECTS)('gate route, SDK and CLI (%s)', (dialect) => {
  let env: TestEnv;
  let w: GateWorld;
  let app: FastifyInstance;
  let url: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-gate-cli-'));
  beforeAll(async () => {
    env = await testEnv(dialect);
    w = await gateWorld(env.ctx);
    await register(env.ctx, w, 'loans', 'strong', { alias: 'champion' });
    app = await gateApp(env.ctx);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await env.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('POST …/gate judges the version and answers the gate result; a bad policy is a 400 naming the field', async () => {
    const version = await register(env.ctx, w, 'loans', 'strong');
    const ok = await app.inject({
      method: 'POST',
      url: `/api/v1/models/loans/versions/${version}/gate`,
      payload: { data: 'loans-holdout', metrics: [{ metric: 'accuracy', max_regression: 0.01 }] },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ ref: `loans@${version}`, decision: 'approved', actor: 'local' });

    const before = await registryCounts(env.ctx);
    const bad = await app.inject({
      method: 'POST',
      url: `/api/v1/models/loans/versions/${version}/gate`,
      payload: { data: 'loans-holdout', metrics: [{ metric: 'accuracy', max_regression: '1 point' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      field: 'metrics[0].max_regression',
    });
    const typo = await app.inject({
      method: 'POST',
      url: `/api/v1/models/loans/versions/${version}/gate`,
      payload: { data: 'loans-holdout', calibration: { max_ece: 0.1 }, aproval: 'manual' },
    });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error).toEqual({
      code: 'INVALID_PARAMETER_VALUE',
      message: "policy: unknown field 'aproval'",
      field: 'aproval',
    });
    expect(await registryCounts(env.ctx)).toEqual(before);
  });

  it('the SDK runs a gate and lists the gate results of a version', async () => {
    const version = await register(env.ctx, w, 'loans', 'weak');
    const gates = new Gates(new Api(new InjectTransport(app)));
    const r = await gates.run('loans', version, {
      data: 'loans-holdout',
      metrics: [{ metric: 'accuracy', max_regression: 0.01 }],
    });
    expect(r).toMatchObject({ passed: false, decision: 'rejected' });
    expect(await gates.results('loans', version)).toEqual([r]);
    const missing = await gates
      .run('loans', 999, { data: 'loans-holdout', calibration: { max_ece: 1 } })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(KeelApiError);
    expect((missing as KeelApiError).status).toBe(404);
  });

  const cli = async (ref: string, policy: string, json = false) => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    const cmd = new Command().option('--url <url>').exitOverride();
    cmd.parse(['--url', url], { from: 'user' });
    await gateCommand(ref, { policy, ...(json ? { json: true } : {}) }, cmd);
    vi.restoreAllMocks();
    return { out, code: process.exitCode ?? 0 };
  };

  it('keel models gate prints the checks and the decision, exit code 0 when it passes and 1 when it fails', async () => {
    const policy = path.join(dir, 'gate.yaml');
    fs.writeFileSync(
      policy,
      'data: loans-holdout@latest\nmetrics:\n  - { metric: accuracy, min: 0.75 }\n  - { metric: accuracy, max_regression: 0.01 }\n',
    );
    const strong = await register(env.ctx, w, 'loans', 'strong');
    const pass = await cli(`loans@${strong}`, policy);
    expect(pass.code).toBe(0);
    expect(pass.out).toContain(
      `loans@${strong} on ${w.holdout.ref} (300 rows, target approved) against loans@1`,
    );
    expect(pass.out).toMatch(
      /accuracy regression ≤ 0\.01\s*│\s*0\.\d{4}\s*│\s*0\.\d{4}\s*│\s*drop ≤ 0\.01\s*│\s*pass/,
    );
    expect(pass.out).toContain('decision: approved');

    const weak = await register(env.ctx, w, 'loans', 'weak');
    const fail = await cli(`loans@${weak}`, policy, true);
    expect(fail.code).toBe(1);
    const result = JSON.parse(fail.out) as GateResult;
    expect(result).toMatchObject({ ref: `loans@${weak}`, passed: false, decision: 'rejected' });
    expect(result.reasons).toHaveLength(2);
    expect((await getModelVersion(env.ctx, 'loans', weak)).approval.status).toBe('rejected');
  });

  it('keel models gate refuses a bad policy file before contacting the server', async () => {
    const policy = path.join(dir, 'bad.yaml');
    fs.writeFileSync(policy, 'data: loans-holdout\nmetrics:\n  - { metric: acuracy, min: 0.8 }\n');
    const before = await registryCounts(env.ctx);
    await expect(cli('loans@1', policy)).rejects.toThrow(
      /bad\.yaml:3: metrics\[0\]\.metric: unknown metric 'acuracy'/,
    );
    expect(await registryCounts(env.ctx)).toEqual(before);
  });

  // Last: once a token exists, token-less local calls are refused.
  it('only admins may run a gate (it approves and rejects, like a review)', async () => {
    const version = await register(env.ctx, w, 'loans', 'strong');
    const editor = (await createToken(env.ctx, 'ci', 'editor', 'alice')).token;
    const admin = (await createToken(env.ctx, 'release', 'admin', 'alice')).token;
    const post = (token: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/models/loans/versions/${version}/gate`,
        headers: { authorization: `Bearer ${token}` },
        payload: { data: 'loans-holdout', calibration: { max_ece: 1 } },
      });
    const denied = await post(editor);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('PERMISSION_DENIED');
    const ok = await post(admin);
    expect(ok.statusCode).toBe(200);
    expect((await getModelVersion(env.ctx, 'loans', version)).approval).toMatchObject({
      status: 'approved',
      actor: 'release',
    });
  });
});
