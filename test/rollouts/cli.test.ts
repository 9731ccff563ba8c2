/**
 * `keel deploy rollout | rollouts | rollout-abort` through commander, with the definitions
 * src/cli/main.ts is to carry (below, verbatim), against a real server over HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../helpers/context.js';
import { baselineOnnx, equalOnnx, type RolloutServer, rolloutServer } from './fixture.js';

const lazyExport =
  <A extends unknown[]>(load: () => Promise<Record<string, unknown>>, name: string) =>
  async (...args: A) => {
    const mod = await load();
    await (mod[name] as (...a: A) => Promise<void>)(...args);
  };
const json = () => new Option('--json', 'machine-readable JSON output');

function program(): Command {
  const root = new Command('keel').option('--url <url>').exitOverride();
  const deploy = root.command('deploy');
  // ── the definitions for src/cli/main.ts ──
  const rolloutCmd = (name: string) => lazyExport(() => import('../../src/cli/commands/rollout.js'), name);
  deploy
    .command('rollout <deployment> <model-ref>')
    .description(
      'roll a version out step by step with automatic canary analysis: promote (and move the alias) on pass, roll back and alert on fail',
    )
    .option('--steps <weights>', 'canary weights of the steps, e.g. 10,50,100 (default)')
    .option(
      '--hold <hold>',
      'how long each step holds: 1000p canary predictions (default) or 1h of event time',
    )
    .option('--policy <file>', 'a rollout policy file (YAML or JSON); the flags override its fields')
    .option('--min-predictions <n>', 'canary predictions each step needs at least (default 100)')
    .option(
      '--max-step-duration <duration>',
      'fail a step still short of its hold after this much event time, e.g. 6h (default: wait)',
    )
    .option('--alias <alias>', 'alias moved to the candidate once promoted (default champion)')
    .option('--no-alias', 'move no alias when promoting')
    .option('--key <key>', 'idempotency key: starting again with it returns the same rollout')
    .option('--wait', 'wait until the rollout ends; exit 1 unless it succeeded')
    .addOption(json())
    .action(rolloutCmd('start'));
  deploy
    .command('rollouts <deployment> [id]')
    .description("a deployment's rollouts, or one rollout with its decisions and their evidence")
    .addOption(
      new Option('--status <status>', 'only rollouts in this state').choices([
        'running',
        'succeeded',
        'rolled_back',
        'aborted',
      ]),
    )
    .addOption(json())
    .action(rolloutCmd('list'));
  deploy
    .command('rollout-abort <deployment> <id>')
    .description('abort a running rollout: the canary is removed and the primary keeps all traffic')
    .option('--reason <text>', 'why, recorded with the abort')
    .addOption(json())
    .action(rolloutCmd('abort'));
  // ── end ──
  return root;
}

describe.each(DIALECTS.slice(0, 1))('keel deploy rollout (%s)', (dialect) => {
  let s: RolloutServer;
  let apiUrl: string;
  const v: Record<string, number> = {};

  beforeAll(async () => {
    s = await rolloutServer(dialect);
    v.baseline = await s.register(baselineOnnx());
    v.equal = await s.register(equalOnnx());
    await s.deploy('cli', v.baseline!);
    const addr = s.api.server.address();
    apiUrl = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
  }, 120_000);

  afterAll(async () => s?.close());

  async function keel(...args: string[]): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    try {
      await program().parseAsync(['node', 'keel', '--url', apiUrl, ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('starts a rollout from flags over a policy file, lists it, shows its decisions, aborts it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-rollout-cli-'));
    const file = path.join(dir, 'policy.yaml');
    fs.writeFileSync(file, 'steps: [5, 100]\nhold: 200p\nchecks:\n  latency: false\n');
    const started = await keel(
      'deploy',
      'rollout',
      'cli',
      `credit@${v.equal}`,
      '--policy',
      file,
      '--steps',
      '20,100',
      '--no-alias',
    );
    expect(started).toMatch(/rollout \d+\s+cli: credit@2 vs primary @1\s+running/);
    expect(started).toMatch(/steps\s+20% → 100%/);
    expect(started).toMatch(/waiting for 200 more canary predictions/);
    const [r] = await s.rollouts.list('cli');
    expect(r!.policy).toMatchObject({
      alias: null,
      checks: { latency: null },
      steps: [{ weight: 20 }, { weight: 100 }],
    });

    const listed = JSON.parse(await keel('deploy', 'rollouts', 'cli', '--json'));
    expect(listed.map((x: { id: number }) => x.id)).toEqual([r!.id]);
    const shown = await keel('deploy', 'rollouts', 'cli', String(r!.id));
    expect(shown).toMatch(/started \(step 1, 20%\) by local/);

    const aborted = await keel('deploy', 'rollout-abort', 'cli', String(r!.id), '--reason', 'testing');
    expect(aborted).toMatch(/aborted/);
    expect(aborted).toMatch(/reason\s+aborted by local: testing/);
    expect((await s.keel.deployments.get('cli')).spec.canary).toBeNull();
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses bad flags before calling the server', async () => {
    await expect(keel('deploy', 'rollout', 'cli', 'credit@2', '--steps', 'ten')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { field: '--steps' },
    });
    await expect(keel('deploy', 'rollouts', 'cli', 'x1')).rejects.toMatchObject({ details: { field: 'id' } });
    expect(await s.rollouts.list('cli', { status: 'running' })).toEqual([]);
  });
});
