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

/** Like `lazy`, for a module exporting several actions (`alias set|rm`, `approve|reject`). */
const lazyExport =
  <A extends unknown[]>(load: () => Promise<Record<string, unknown>>, name: string) =>
  async (...args: A) => {
    const mod = await load();
    await (mod[name] as (...a: A) => Promise<void>)(...args);
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

  program
    .command('train <trainer>')
    .description('train a built-in model (gbdt, logistic, linear) on a dataset version and log it as a run')
    .requiredOption('--data <ref>', 'dataset version to train on (name@N, name@<hash>, name)')
    .requiredOption('--target <column>', 'column to predict')
    .option('--features <names>', 'comma-separated feature columns (default: every other usable column)')
    .option('--params <k=v,...>', 'trainer parameters, e.g. lr=0.1,trees=200,depth=6')
    .option('--seed <n>', 'random seed (validation split); same seed and data ⇒ same model')
    .option('-e, --experiment <name>', 'experiment to log the run in', 'Default')
    .option('--run-name <name>', 'name of the run')
    .option('--register <model>', 'also register the trained model as a new version of <model>')
    .option('--intended-use <text>', 'with --register: intended use, shown on the model card')
    .addOption(json())
    .action(lazy(() => import('./commands/train.js')));

  program
    .command('eval <model-ref>')
    .description('evaluate a model version on a dataset version; results are stored with the version')
    .requiredOption('--data <ref>', 'dataset version to evaluate on')
    .option('--slice-by <column>', 'also report every metric per value of this column')
    .option('--sensitive <column>', 'fairness across this attribute (demographic parity, equal opportunity)')
    .option('--positive <class>', 'the positive class for binary metrics and fairness')
    .option('--compare <model-ref>', 'evaluate a second model and show both side by side')
    .option('--target <column>', 'target column, for models that do not record it')
    .addOption(
      new Option('--task <task>', 'task, for models that do not record it').choices([
        'binary',
        'multiclass',
        'regression',
      ]),
    )
    .option(
      '--classes <a,b,...>',
      'class labels in probability-column order, for models that do not record them',
    )
    .option('--features <a,b,...>', "columns feeding a model's single [N, F] input, in order")
    .option('--no-store', 'do not store the results with the model version')
    .addOption(json())
    .action(lazy(() => import('./commands/eval.js')));

  const models = program
    .command('models')
    .description('the model registry: versions, aliases, approvals, cards');
  models
    .command('register <name>')
    .description("register a new version: a run's logged model (--run) or an ONNX file (--file)")
    .option('--run <run-id>', 'the run whose ONNX model to register')
    .option('--path <artifact-path>', "the model's artifact path in the run", 'model')
    .option('--file <model.onnx>', 'an ONNX file exported by any framework')
    .option('--description <text>', 'what this version is')
    .option('--intended-use <text>', 'intended use, shown on the model card')
    .option('--data <ref...>', 'dataset versions it was trained on (for --file)')
    .option('--tag <key=value...>', 'version tags')
    .addOption(json())
    .action(lazy(() => import('./commands/models-register.js')));
  models
    .command('ls [name]')
    .description('registered models, or the versions of one')
    .addOption(json())
    .action(lazy(() => import('./commands/models-ls.js')));
  models
    .command('show <model-ref>')
    .description('a version (name@version, name@alias, or name = latest approved)')
    .addOption(json())
    .action(lazy(() => import('./commands/models-show.js')));
  const alias = models.command('alias').description('aliases (champion, challenger, …): one version each');
  alias
    .command('set <model-ref> <alias>')
    .description('point an alias at a version (moves it if it is set; audited)')
    .action(lazyExport(() => import('./commands/models-alias.js'), 'set'));
  alias
    .command('rm <name> <alias>')
    .description('remove an alias')
    .action(lazyExport(() => import('./commands/models-alias.js'), 'rm'));
  models
    .command('approve <model-ref>')
    .description('approve a version (admin)')
    .option('--reason <text>', 'why')
    .action(lazyExport(() => import('./commands/models-review.js'), 'approve'));
  models
    .command('reject <model-ref>')
    .description('reject a version (admin); a rejected version cannot hold an alias')
    .requiredOption('--reason <text>', 'why')
    .action(lazyExport(() => import('./commands/models-review.js'), 'reject'));
  models
    .command('card <model-ref>')
    .description('the model card: intended use, data, metrics, slices, fairness, lineage, approvals')
    .option('--md <file>', 'write the Markdown card here (default: stdout)')
    .option('--html <file>', 'also write a self-contained HTML card')
    .action(lazy(() => import('./commands/models-card.js')));

  program
    .command('lineage <model-ref>')
    .description('dataset versions → run (params, code) → model version → aliases and deployments')
    .addOption(json())
    .action(lazy(() => import('./commands/lineage.js')));
  program
    .command('reproduce <model-ref>')
    .description('re-run the recorded built-in training and check the predictions match; exit 1 if not')
    .option('--data <ref>', 'dataset version to compare predictions on (default: last evaluation data)')
    .addOption(json())
    .action(lazy(() => import('./commands/reproduce.js')));

  const deploy = program
    .command('deploy')
    .description(
      'deployments: serve a model version, shift traffic (canary, A/B, shadows), promote, roll back',
    );
  const deployCmd = (name: string) => lazyExport(() => import('./commands/deploy.js'), name);
  const collect = (v: string, prev: unknown) => [...(Array.isArray(prev) ? prev : []), v];
  deploy
    .command('create <name>')
    .description('deploy a model version as the primary of a new deployment')
    .requiredOption(
      '--model <ref>',
      'the version to serve: credit@3, credit@champion, or credit (latest approved)',
    )
    .option('--description <text>', 'what the deployment is for')
    .option('--max-batch <rows>', 'rows per batch (default 64)')
    .option('--max-delay-us <us>', 'how long a request may wait for a fuller batch, µs (default 0)')
    .option('--queue <rows>', 'rows that may wait before requests get 503 (default 8192)')
    .option('--timeout-ms <ms>', 'per-request timeout (default 10000)')
    .option('--workers <n>', 'onnxruntime sessions per loaded version (default 1)')
    .option('--threads <n>', 'intra-op threads per session (default 1)')
    .option('--no-log', 'do not log predictions')
    .option('--log-window <duration>', 'prediction-log window, e.g. 10m (default 10m)')
    .option('--sample-rows <n>', 'raw rows sampled per window (default 2000)')
    .addOption(json())
    .action(deployCmd('create'));
  deploy.command('ls').description('deployments with their routes').addOption(json()).action(deployCmd('ls'));
  deploy
    .command('show <name>')
    .description('a deployment: routes, settings, revision and what the server has loaded')
    .addOption(json())
    .action(deployCmd('show'));
  deploy
    .command('set-traffic <name>')
    .description('set or clear the canary, the A/B split, shadows and sticky assignment (audited)')
    .option('--canary <ref>', 'canary version: 3, @challenger, credit@3 (with --weight for a new canary)')
    .option('--weight <percent>', "the canary's share of traffic, 0–100")
    .option('--no-canary', 'remove the canary')
    .option('--ab <variants>', 'A/B split, e.g. a=@champion:50,b=@challenger:50 (weights sum to 100)')
    .option('--no-ab', 'end the A/B split')
    .option(
      '--shadow <ref>',
      'mirror traffic to this version (repeatable; replaces the shadow list)',
      collect,
    )
    .option('--no-shadow', 'remove every shadow')
    .option('--sticky-header <header>', 'pin callers to a route by this request header')
    .option('--sticky-field <field>', 'pin rows to a route by this record field')
    .option('--no-sticky', 'route each request at random')
    .addOption(json())
    .action(deployCmd('setTraffic'));
  deploy
    .command('promote <name>')
    .description('make the canary the primary (the old primary is kept for rollback)')
    .addOption(json())
    .action(deployCmd('promote'));
  deploy
    .command('rollback <name>')
    .description('bring back the previous primary and clear the canary')
    .addOption(json())
    .action(deployCmd('rollback'));
  deploy
    .command('set-primary <name> <ref>')
    .description('switch the primary directly to another version (the old one is kept for rollback)')
    .addOption(json())
    .action(deployCmd('setPrimary'));
  deploy.command('rm <name>').description('delete a deployment').action(deployCmd('rm'));

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
