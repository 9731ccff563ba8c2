import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeployment } from '../../src/serving/deployments/index.js';
import { type TestEnv, testEnv } from '../helpers/context.js';
import { logregOnnx } from '../registry/fixtures.js';
import {
  deploymentApp,
  type RecordingHooks,
  recordingHooks,
  seedRegistry,
} from '../serving/deployments-fixture.js';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');

async function keel(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, KEEL_URL: '', KEEL_TOKEN: '', KEEL_DATA_DIR: '', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The real binary against a server (`--url`) whose registry holds credit v1–v4 (champion → 2, challenger → 3). */
describe('keel deploy (real binary)', { timeout: 60_000 }, () => {
  let env: TestEnv;
  let app: FastifyInstance;
  let hooks: RecordingHooks;
  let K: (...a: string[]) => ReturnType<typeof keel>;
  beforeAll(async () => {
    env = await testEnv('sqlite');
    await seedRegistry(env.ctx);
    hooks = recordingHooks();
    app = await deploymentApp(env.ctx, hooks);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    K = (...a) => keel(['--url', url, ...a]);
  });
  afterAll(async () => {
    await app.close();
    await env.cleanup();
  });

  const ok = async (...a: string[]) => {
    const r = await K(...a);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const fails = async (...a: string[]) => {
    const r = await K(...a);
    expect(r.code, r.stdout).not.toBe(0);
    return r.stderr;
  };
  const revision = async () => (await getDeployment(env.ctx, 'credit-api')).revision;

  it('creates a deployment from an alias with its settings; refuses duplicates and bad flags', async () => {
    expect(await ok('deploy', 'ls')).toBe('no deployments\n');
    expect(
      await ok(
        'deploy',
        'create',
        'credit-api',
        '--model',
        'credit@champion',
        '--description',
        'loan approvals',
        '--max-batch',
        '32',
        '--queue',
        '1024',
        '--log-window',
        '5m',
        '--sample-rows',
        '100',
      ),
    ).toBe('created deployment credit-api  revision 1: credit@2 (from credit@champion)\n');
    const d = await getDeployment(env.ctx, 'credit-api');
    expect(d.spec.batching).toMatchObject({ maxBatchRows: 32, maxQueueRows: 1024 });
    expect(d.spec.log).toEqual({ enabled: true, windowSeconds: 300, sampleRows: 100 });

    expect(await fails('deploy', 'create', 'credit-api', '--model', 'credit@3')).toBe(
      "error: RESOURCE_ALREADY_EXISTS: Deployment 'credit-api' already exists\n",
    );
    expect(await fails('deploy', 'create', 'x', '--model', 'credit@2', '--max-batch', 'lots')).toBe(
      "error: INVALID_PARAMETER_VALUE: --max-batch must be a whole number, got 'lots'\n",
    );
    expect(await fails('deploy', 'create', 'x', '--model', 'credit@2', '--workers', '99')).toContain(
      'batching.workers must be an integer from 1 to 16, got 99',
    );
    expect(await fails('deploy', 'create', 'x', '--model', 'credit@5')).toContain('has no ONNX model');
    const quiet = JSON.parse(
      await ok('deploy', 'create', 'quiet', '--model', 'credit@1', '--no-log', '--json'),
    );
    expect(quiet.spec.log.enabled).toBe(false);
    await ok('deploy', 'rm', 'quiet');
    expect(JSON.parse(await ok('deploy', 'ls', '--json')).map((x: { name: string }) => x.name)).toEqual([
      'credit-api',
    ]);
  });

  it('shifts traffic: canary, weight, sticky, A/B exclusive with the canary, shadows', async () => {
    const out = await ok(
      'deploy',
      'set-traffic',
      'credit-api',
      '--canary',
      '@challenger',
      '--weight',
      '10',
      '--sticky-header',
      'X-User',
    );
    expect(out).toContain('canary    credit@3  10% of traffic');
    expect(out).toContain('sticky    by header x-user');
    expect(await ok('deploy', 'set-traffic', 'credit-api', '--weight', '30%')).toContain(
      'credit@3  30% of traffic',
    );
    const rev = await revision();
    expect(await fails('deploy', 'set-traffic', 'credit-api', '--ab', 'a=@champion:50,b=credit@3:50')).toBe(
      'error: INVALID_PARAMETER_VALUE: a deployment routes a canary (version 3) or an A/B test, not both: clear the canary first\n',
    );
    expect(await fails('deploy', 'set-traffic', 'credit-api', '--canary', 'fraud@1')).toContain(
      "names model 'fraud'",
    );
    expect(await fails('deploy', 'set-traffic', 'credit-api')).toContain('nothing to change');
    expect(await fails('deploy', 'set-traffic', 'credit-api', '--ab', 'a=2')).toContain(
      '--ab takes name=<ref>:<weight>',
    );
    expect(await revision()).toBe(rev);

    const ls = await ok('deploy', 'ls');
    expect(ls).toMatch(/credit-api.*credit.*│ 2 .*3@30%/);
    const shown = JSON.parse(await ok('deploy', 'show', 'credit-api', '--json'));
    expect(shown).toMatchObject({
      name: 'credit-api',
      status: null,
      spec: { primary: 2, canary: { version: 3, weight: 30 }, sticky: { header: 'x-user' } },
    });
    expect(await ok('deploy', 'show', 'credit-api')).toContain('status    not loaded by this server');
    hooks.statuses.set('credit-api', {
      ready: false,
      versions: [
        { version: 2, routes: ['primary'], state: 'ready' },
        { version: 3, routes: ['canary'], state: 'failed', error: 'out of memory' },
      ],
    });
    const text = await ok('deploy', 'show', 'credit-api');
    expect(text).toContain('loan approvals');
    expect(text).toContain('batching  up to 32 rows');
    expect(text).toContain('log       on, 300 s windows, 100 sampled rows each');
    expect(text).toContain('status    not ready');
    expect(text).toContain('credit@3  failed  canary  out of memory');
    hooks.statuses.clear();
  });

  it('promotes, rolls back, switches the primary, runs an A/B test with shadows, and removes', async () => {
    expect(await ok('deploy', 'promote', 'credit-api')).toBe(
      'credit-api: promoted credit@3 to primary (was 2; `keel deploy rollback credit-api` goes back)\n',
    );
    expect(await fails('deploy', 'promote', 'credit-api')).toBe(
      "error: INVALID_STATE: Deployment 'credit-api' has no canary to promote: set a canary first, or switch the primary directly\n",
    );
    expect(await ok('deploy', 'rollback', 'credit-api')).toBe(
      'credit-api: rolled back to credit@2 (from 3)\n',
    );
    const ab = await ok(
      'deploy',
      'set-traffic',
      'credit-api',
      '--ab',
      'control=@champion:70,new=3:30%',
      '--shadow',
      '4',
      '--shadow',
      'credit@1',
    );
    expect(ab).toContain('variant   control: credit@2  70%');
    expect(ab).toContain('variant   new: credit@3  30%');
    expect(ab).toContain('shadow    credit@4');
    expect((await getDeployment(env.ctx, 'credit-api')).spec.shadows).toEqual([4, 1]);
    expect(await ok('deploy', 'ls')).toContain('control=2:70% new=3:30%');
    await ok('deploy', 'set-traffic', 'credit-api', '--no-ab', '--no-shadow', '--no-sticky');
    expect((await getDeployment(env.ctx, 'credit-api')).spec).toMatchObject({
      variants: [],
      shadows: [],
      sticky: null,
    });
    expect(await ok('deploy', 'set-primary', 'credit-api', 'credit@4')).toBe(
      'credit-api: primary → credit@4 (was 2)\n',
    );
    const actions = await env.ctx.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('object_id', '=', 'credit-api')
      .orderBy('seq')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'deployment.create',
      'deployment.traffic',
      'deployment.traffic',
      'deployment.promote',
      'deployment.rollback',
      'deployment.traffic',
      'deployment.traffic',
      'deployment.primary',
    ]);
    expect(await ok('deploy', 'rm', 'credit-api')).toBe('removed deployment credit-api\n');
    expect(await fails('deploy', 'show', 'credit-api')).toBe(
      "error: RESOURCE_DOES_NOT_EXIST: Deployment 'credit-api' not found\n",
    );
  });
});

/** Local mode: the same commands on a data dir, through the in-process app (once buildApp serves deployments). */
describe('keel deploy on a local data dir (real binary)', () => {
  let dir: string;
  let L: (...a: string[]) => ReturnType<typeof keel>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-deploy-'));
    fs.writeFileSync(path.join(dir, 'v1.onnx'), logregOnnx(1));
    fs.writeFileSync(path.join(dir, 'v2.onnx'), logregOnnx(2));
    L = (...a) => keel(['--data-dir', path.join(dir, '.keel'), ...a]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('registers, deploys, sets a canary, promotes and persists', async (t) => {
    const probe = await L('deploy', 'ls');
    if (probe.stderr.includes('ENDPOINT_NOT_FOUND')) t.skip();
    expect(probe.code, probe.stderr).toBe(0);
    for (const file of ['v1.onnx', 'v2.onnx']) {
      const r = await L('models', 'register', 'credit', '--file', path.join(dir, file));
      expect(r.code, r.stderr).toBe(0);
    }
    const steps = [
      ['deploy', 'create', 'credit-api', '--model', 'credit@1'],
      ['deploy', 'set-traffic', 'credit-api', '--canary', '2', '--weight', '20'],
      ['deploy', 'promote', 'credit-api'],
    ];
    for (const s of steps) {
      const r = await L(...s);
      expect(r.code, `${s.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const shown = await L('deploy', 'show', 'credit-api', '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({
      revision: 3,
      spec: { primary: 2, previous: 1, canary: null },
    });
    const lineage = await L('lineage', 'credit@2', '--json');
    expect(JSON.parse(lineage.stdout).deployments).toEqual([{ name: 'credit-api', routes: ['primary'] }]);
  }, 120_000);
});
