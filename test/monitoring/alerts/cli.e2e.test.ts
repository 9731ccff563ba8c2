import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { AlertDeliverer } from '../../../src/monitoring/alerts/deliveries.js';
import { registerAuth } from '../../../src/server/auth.js';
import { registerErrorHandler } from '../../../src/server/errors.js';
import { registerAlertRoutes } from '../../../src/server/routes/v1/alerts.js';
import { type TestEnv, testEnv } from '../../helpers/context.js';
import { insertEvent, type Receiver, receiver, T0 } from './fixture.js';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');

/** The real binary (built dist/) against a small server with the alert routes. */
describe('keel alerts (real binary)', { timeout: 60_000 }, () => {
  let env: TestEnv;
  let app: FastifyInstance;
  let hook: Receiver;
  let url: string;
  const clock = new ManualClock(T0);

  const keel = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [BIN, '--url', url, ...args], {
        env: { ...process.env, KEEL_TOKEN: '', NO_COLOR: '1' },
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  beforeAll(async () => {
    env = await testEnv('sqlite', { clock });
    hook = await receiver([500, 200]);
    app = Fastify({ forceCloseConnections: true });
    app.setValidatorCompiler(() => () => true);
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    registerErrorHandler(app, 1024 * 1024);
    registerAuth(app, env.ctx, { allowLocal: true });
    registerAlertRoutes(app, env.ctx);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await hook.close();
    await env.cleanup();
  });

  it('creates a channel (secret shown once), rejects non-http URLs, and shows deliveries', async () => {
    const [created, ftp] = await Promise.all([
      keel('alerts', 'channel', 'create', 'ops', '--webhook', hook.url, '--backoff-ms', '100'),
      keel('alerts', 'channel', 'create', 'files', '--webhook', 'ftp://files.example.com'),
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/signing secret: [0-9a-f]{64}\n/);
    expect(created.stdout).toContain('It will not be shown again');
    expect(ftp.code).not.toBe(0);
    expect(ftp.stderr).toContain("INVALID_PARAMETER_VALUE: webhook url must be http(s), got 'ftp:'");

    const { deliveryIds } = await insertEvent(env.ctx, ['log', 'ops']);
    const d = new AlertDeliverer(env.ctx, { random: () => 0.5 });
    await d.runOnce();
    clock.advance(100);
    await d.runOnce();

    const list = await keel('alerts', 'deliveries', '--status', 'delivered');
    expect(list.code, list.stderr).toBe(0);
    const row = list.stdout.split('\n').find((l) => l.includes(`│ ${deliveryIds[0]} `));
    expect(row).toMatch(/│ opened .*│ ops .*│ delivered │ 2 .*│ 200 .*│ 500, 200/);
  });
});
