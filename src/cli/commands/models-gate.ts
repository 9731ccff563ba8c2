import type { Command } from 'commander';
import { formatGate } from '../../pipelines/gate/format.js';
import { readGatePolicyFile } from '../../pipelines/gate/policy.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';

/**
 * `keel models gate credit@4 --policy gate.yaml [--json]`: judges the version against the policy
 * (on the server, or in-process on the local data dir), which stores the result with it and
 * approves or rejects it. Exit code 1 when the gate fails.
 */
export async function run(
  ref: string,
  opts: { policy: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  // Read and validate the policy (and the expectations file it names) before connecting to anything.
  const policy = readGatePolicyFile(opts.policy);
  const result = await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    return keel.gates.run(v.name, v.version, policy);
  });
  if (opts.json) printJson(result);
  else process.stdout.write(formatGate(result, { color: Boolean(process.stdout.isTTY) }));
  if (!result.passed) process.exitCode = 1;
}
