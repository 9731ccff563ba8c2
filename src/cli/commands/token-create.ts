import type { Command } from 'commander';
import type { Role } from '../../auth/roles.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';

/** `keel token create --name ci --role editor`: prints the secret once. */
export async function run(opts: { name: string; role: Role; json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const created = await keel.tokens.create({ name: opts.name, role: opts.role });
    if (opts.json) return printJson(created);
    process.stdout.write(`${created.token}\n`);
    process.stderr.write(
      `token '${opts.name}' (${opts.role}) created. It is shown only once: store it now and send it as "Authorization: Bearer <token>" (env KEEL_TOKEN for the CLI, MLFLOW_TRACKING_TOKEN for MLflow clients).\n`,
    );
  });
}
