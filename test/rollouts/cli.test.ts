/**
 * `keel deploy rollout | rollouts | rollout-abort` through the CLI's own commander program, against
 * a real server over HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { DIALECTS } from '../helpers/context.js';
import { baselineOnnx, equalOnnx, type RolloutServer, rolloutServer } from './fixture.js';

/** The real CLI program (src/cli/main.ts), throwing instead of exiting. */
function program(): Command {
  return buildProgram().exitOverride();
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
    // picocolors colours output when CI is set (as `.ci/run` runs): compare the text.
    return stripVTControlCharacters(out);
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
