import { Command, Option } from 'commander';
import { fail } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  url?: string;
}

/**
 * Loads a command module only when its command runs, so `keel --help` stays well under
 * half a second (no database driver, HTTP framework or AWS SDK is loaded for it).
 */
const lazy =
  <A extends unknown[]>(load: () => Promise<{ run: (...a: A) => Promise<void> }>) =>
  async (...args: A) => {
    const mod = await load();
    await mod.run(...args);
  };

const json = () => new Option('--json', 'machine-readable JSON output');

/** Builds the `keel` command tree. */
export function buildProgram(): Command {
  const program = new Command('keel')
    .description(
      'Keel: experiment tracking (MLflow-compatible), data, models, serving and monitoring in one closed loop',
    )
    .version('0.1.0')
    .option('--data-dir <dir>', 'work on a local data dir directly (env KEEL_DATA_DIR, default ./.keel)')
    .option('--url <url>', 'talk to a running Keel server instead (env KEEL_URL; token from KEEL_TOKEN)')
    .showHelpAfterError();

  program
    .command('server')
    .description('run the Keel server (API, MLflow REST API, artifact proxy) on a data dir')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7070')
    .option('--insecure', 'allow listening on a non-loopback address without API tokens', false)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'info')
    .option('--body-limit-mb <mb>', 'largest JSON request body', '16')
    .action(lazy(() => import('./commands/server.js')));

  const exps = program.command('experiments').alias('exp').description('experiments');
  exps
    .command('ls')
    .description('list experiments')
    .option('--filter <filter>', 'MLflow filter, e.g. "name LIKE \'credit%\'"')
    .addOption(
      new Option('--view <view>', 'which experiments')
        .choices(['active', 'deleted', 'all'])
        .default('active'),
    )
    .addOption(json())
    .action(lazy(() => import('./commands/experiments-ls.js')));
  exps
    .command('create <name>')
    .description('create an experiment')
    .option('--tag <key=value...>', 'experiment tags')
    .addOption(json())
    .action(lazy(() => import('./commands/experiments-create.js')));

  const runs = program.command('runs').description('runs');
  runs
    .command('ls')
    .description('list runs of an experiment')
    .option('-e, --experiment <name-or-id>', 'experiment (default: Default)', 'Default')
    .option('--filter <filter>', 'MLflow filter, e.g. "metrics.acc > 0.9 and params.lr = \'0.1\'"')
    .option('--order-by <clause...>', 'e.g. "metrics.acc DESC"')
    .option('--max <n>', 'most runs to show', '50')
    .addOption(json())
    .action(lazy(() => import('./commands/runs-ls.js')));
  runs
    .command('show <run-id>')
    .description('a run: info, params, latest metrics, tags, inputs')
    .addOption(json())
    .action(lazy(() => import('./commands/runs-show.js')));
  runs
    .command('compare <run-id...>')
    .description('params and final metrics of several runs side by side')
    .addOption(json())
    .action(lazy(() => import('./commands/runs-compare.js')));

  const data = program.command('data').description('versioned datasets: add, inspect, diff, check');
  data
    .command('add <paths...>')
    .description(
      'store files or a directory as a new dataset version (content-addressed; unchanged content is not stored twice)',
    )
    .requiredOption('--name <name>', 'dataset name')
    .option('-m, --message <message>', 'what changed')
    .option('--schema <file>', 'YAML/JSON schema file overriding inferred column types')
    .option('--delimiter <char>', 'CSV delimiter (default: , or tab for .tsv)')
    .option('--strict', 'reject the version at the first malformed row', false)
    .addOption(json())
    .action(lazy(() => import('./commands/data-add.js')));
  data
    .command('ls [name]')
    .description('dataset versions, newest first')
    .addOption(json())
    .action(lazy(() => import('./commands/data-ls.js')));
  data
    .command('show <ref>')
    .description(
      'a version (name@N, name@<hash prefix> or name for the latest): files, schema, profile, lineage',
    )
    .addOption(json())
    .action(lazy(() => import('./commands/data-show.js')));
  data
    .command('get <ref> <dir>')
    .description("materialise a version's files into a directory, verified against their hashes")
    .action(lazy(() => import('./commands/data-get.js')));
  data
    .command('diff <from> <to>')
    .description('schema changes and per-column drift between two versions')
    .option('--html <file>', 'also write a self-contained HTML drift report')
    .addOption(json())
    .action(lazy(() => import('./commands/data-diff.js')));
  data
    .command('check <ref>')
    .description('run a YAML expectations file against a version; exit 1 when a check fails')
    .requiredOption('--expect <file>', 'expectations YAML')
    .addOption(json())
    .action(lazy(() => import('./commands/data-check.js')));
  data
    .command('suggest <ref>')
    .description("write an expectations file derived from a reference version's profile")
    .option('-o, --output <file>', 'where to write it (default: stdout)')
    .action(lazy(() => import('./commands/data-suggest.js')));

  const token = program.command('token').description('API tokens (admin)');
  token
    .command('create')
    .description('create an API token; prints the secret once')
    .requiredOption('--name <name>', 'token name (shown as the actor in the audit log)')
    .addOption(
      new Option('--role <role>', 'what the token may do')
        .choices(['viewer', 'editor', 'admin'])
        .default('editor'),
    )
    .addOption(json())
    .action(lazy(() => import('./commands/token-create.js')));
  token
    .command('ls')
    .description('list tokens (never their secrets)')
    .addOption(json())
    .action(lazy(() => import('./commands/token-ls.js')));
  token
    .command('revoke <name>')
    .description('revoke a token')
    .action(lazy(() => import('./commands/token-revoke.js')));

  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('list')
    .description('audit entries, oldest first')
    .option('--object <object>', 'only entries about this object: <id> or <type>:<id> (e.g. run:abc…)')
    .option('--limit <n>', 'most entries to show', '100')
    .addOption(json())
    .action(lazy(() => import('./commands/audit-list.js')));
  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 and name the first bad entry if any was changed')
    .addOption(json())
    .action(lazy(() => import('./commands/audit-verify.js')));

  return program;
}

/** Entry point of the `keel` binary. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    fail(err);
  }
}
