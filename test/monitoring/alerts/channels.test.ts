import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  type NewChannel,
  requireChannels,
} from '../../../src/monitoring/alerts/channels.js';
import { DIALECTS, type TestEnv, testEnv } from '../../helpers/context.js';
import { insertMonitor } from './fixture.js';

const error = async (p: Promise<unknown>): Promise<KeelError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof KeelError) return e;
    throw e;
  }
  throw new Error('expected a KeelError');
};

const hook = (over: Partial<NewChannel> = {}): NewChannel => ({
  name: 'ops-hook',
  kind: 'webhook',
  url: 'https://hooks.example.com/services/T000/B000/XXXXSECRETPATH',
  ...over,
});

describe.each(DIALECTS)('alert channels (%s)', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await testEnv(dialect);
  });
  afterEach(() => env.cleanup());

  it('returns a generated secret once; every read redacts it; the audit log never holds it', async () => {
    const created = await createChannel(env.ctx, hook(), 'alice');
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created).toMatchObject({ name: 'ops-hook', kind: 'webhook', hasSecret: true, builtin: false });
    expect(created).toMatchObject({ maxAttempts: 6, backoffMs: 1000, timeoutMs: 10_000, createdBy: 'alice' });

    const read = await getChannel(env.ctx, 'ops-hook');
    expect(read.secret).toBeNull();
    expect(read.hasSecret).toBe(true);
    expect(read.url).toBe(hook().url);
    const listed = await listChannels(env.ctx);
    expect(listed.map((c) => [c.name, c.kind, c.builtin, c.secret])).toEqual([
      ['log', 'log', true, null],
      ['ops-hook', 'webhook', false, null],
    ]);

    const given = await createChannel(
      env.ctx,
      hook({ name: 'b', secret: 'my-shared-secret-123', maxAttempts: 3 }),
      'bob',
    );
    expect(given.secret).toBe('my-shared-secret-123');
    expect(given.maxAttempts).toBe(3);

    const audit = await env.ctx.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    expect(audit.map((a) => [a.action, a.object_id, a.actor])).toEqual([
      ['alert_channel.create', 'ops-hook', 'alice'],
      ['alert_channel.create', 'b', 'bob'],
    ]);
    const text = JSON.stringify(audit);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain('my-shared-secret-123');
    // A token in a webhook URL's path is no less secret: only the origin is recorded.
    expect(text).not.toContain('XXXXSECRETPATH');
    expect(JSON.parse(audit[0]!.after!)).toMatchObject({
      kind: 'webhook',
      origin: 'https://hooks.example.com',
    });
  });

  it('rejects bad input with messages naming the field', async () => {
    const cases: [Partial<NewChannel>, string, string][] = [
      [{ url: 'ftp://files.example.com/in' }, 'url', "webhook url must be http(s), got 'ftp:'"],
      [{ url: 'not a url' }, 'url', "webhook url 'not a url' is not a valid URL"],
      [{ url: undefined }, 'url', 'a webhook channel needs a url'],
      [{ name: 'bad name' }, 'name', "Invalid channel name 'bad name'"],
      [{ name: 'x'.repeat(101) }, 'name', 'Invalid channel name'],
      [{ name: 'log' }, 'name', "channel 'log' is built in"],
      [{ maxAttempts: 0 }, 'maxAttempts', 'maxAttempts must be an integer from 1 to 20, got 0'],
      [{ maxAttempts: 21 }, 'maxAttempts', 'from 1 to 20, got 21'],
      [{ backoffMs: 99 }, 'backoffMs', 'backoffMs must be an integer from 100 to 3600000, got 99'],
      [{ timeoutMs: 60_001 }, 'timeoutMs', 'timeoutMs must be an integer from 100 to 60000'],
      [{ timeoutMs: 1.5 }, 'timeoutMs', 'got 1.5'],
      [{ secret: 'short' }, 'secret', 'secret must be 16 to 1024 characters long'],
      [{ kind: 'log' }, 'url', 'url is only for webhook channels'],
      [{ kind: 'email' as 'log' }, 'kind', "channel kind must be 'webhook' or 'log', got 'email'"],
    ];
    for (const [over, field, message] of cases) {
      const e = await error(createChannel(env.ctx, hook(over), 'alice'));
      expect(e.code, message).toBe('INVALID_PARAMETER_VALUE');
      expect(e.status).toBe(400);
      expect(e.message).toContain(message);
      expect(e.details).toEqual({ field });
    }
    expect(await listChannels(env.ctx)).toHaveLength(1);

    await createChannel(env.ctx, hook(), 'alice');
    const dup = await error(createChannel(env.ctx, hook({ url: 'http://other.example.com' }), 'alice'));
    expect(dup.code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(dup.message).toBe("Alert channel 'ops-hook' already exists");
  });

  it('a log-kind channel has no url or secret', async () => {
    const c = await createChannel(env.ctx, { name: 'audit-log', kind: 'log' }, 'alice');
    expect(c).toMatchObject({ kind: 'log', url: null, secret: null, hasSecret: false });
  });

  it('refuses to delete the built-in log channel or a channel a monitor rule uses', async () => {
    await createChannel(env.ctx, hook(), 'alice');
    await createChannel(env.ctx, hook({ name: 'spare' }), 'alice');
    await insertMonitor(env.ctx, 'credit-mon', [
      { name: 'drift', channels: ['log', 'ops-hook'] },
      { name: 'accuracy', channels: ['ops-hook'] },
      { name: 'quiet', channels: ['log'] },
    ]);
    await insertMonitor(env.ctx, 'other-mon', [{ name: 'psi', channels: ['spare'] }]);

    const builtin = await error(deleteChannel(env.ctx, 'log', 'alice'));
    expect(builtin.message).toBe("channel 'log' is built in (the server log) and cannot be deleted");
    expect((await error(deleteChannel(env.ctx, 'nope', 'alice'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await error(getChannel(env.ctx, 'nope'))).status).toBe(404);

    const used = await error(deleteChannel(env.ctx, 'ops-hook', 'alice'));
    expect(used.status).toBe(400);
    expect(used.message).toBe(
      "Alert channel 'ops-hook' is used by monitor credit-mon ('drift', 'accuracy'); remove it from those rules first",
    );
    expect((await getChannel(env.ctx, 'ops-hook')).name).toBe('ops-hook');

    await env.ctx.store.db.deleteFrom('monitors').where('name', '=', 'credit-mon').execute();
    await deleteChannel(env.ctx, 'ops-hook', 'bob');
    expect((await listChannels(env.ctx)).map((c) => c.name)).toEqual(['log', 'spare']);
    const last = await env.ctx.store.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .executeTakeFirst();
    expect([last?.action, last?.object_id, last?.actor]).toEqual(['alert_channel.delete', 'ops-hook', 'bob']);
  });

  it('requireChannels names every unknown channel; log always exists', async () => {
    await createChannel(env.ctx, hook(), 'alice');
    await requireChannels(env.ctx.store.db, ['log', 'ops-hook', 'ops-hook']);
    await requireChannels(env.ctx.store.db, []);
    const e = await error(
      requireChannels(env.ctx.store.db, ['log', 'pager', 'ops-hook', 'slack'], 'rules[0].channels'),
    );
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toContain("Unknown alert channels 'pager', 'slack'");
    expect(e.details).toEqual({ field: 'rules[0].channels' });
  });
});
