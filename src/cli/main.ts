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
    .option(
      '--schedule-interval <ms>',
      'how often monitors, pipeline triggers and rollouts look for new events',
      '10000',
    )
    .option(
      '--workers <n>',
      'pipeline steps run at once in this process (0: leave them to `keel worker`)',
      '2',
    )
    .option(
      '--log-interval <ms>',
      'how often the prediction log writes window profiles and sampled rows (default 5000 and 30000)',
    )
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
    .command('gate <model-ref>')
    .description(
      'judge a version against a gate policy (vs the champion on held-out data): stores the result, approves or rejects it; exit 1 when it fails',
    )
    .requiredOption('--policy <file>', 'gate policy (YAML or JSON)')
    .addOption(json())
    .action(lazy(() => import('./commands/models-gate.js')));
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
  const rolloutCmd = (name: string) => lazyExport(() => import('./commands/rollout.js'), name);
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

  const jobsCmd = (name: string) => lazyExport(() => import('./commands/jobs.js'), name);
  const jobs = program
    .command('jobs')
    .description('the durable job queue: queued, running, succeeded and dead jobs');
  jobs
    .command('ls')
    .description('jobs, newest first')
    .addOption(
      new Option('--status <status>', 'only jobs in this state').choices([
        'queued',
        'running',
        'succeeded',
        'dead',
      ]),
    )
    .option('--kind <kind>', 'only jobs of this kind')
    .option('--limit <n>', 'most jobs to show (default 50, at most 1000)')
    .addOption(json())
    .action(jobsCmd('ls'));
  jobs
    .command('show <id>')
    .description('a job: payload, attempts, errors, lease and timings')
    .addOption(json())
    .action(jobsCmd('show'));
  jobs
    .command('retry <id>')
    .description('run a dead job again with a fresh round of attempts')
    .addOption(json())
    .action(jobsCmd('retry'));

  const pipeline = program
    .command('pipeline')
    .description('pipelines from a keel.yaml: steps with deps/outs/params, a step cache, triggers');
  const pipelineCmd = (name: string) => lazyExport(() => import('./commands/pipeline.js'), name);
  const fileOpt = () => new Option('-f, --file <path>', 'pipeline file (default ./keel.yaml when present)');
  pipeline
    .command('apply')
    .description("upload a pipeline file's workspace deps and create or update its pipelines")
    .addOption(fileOpt())
    .addOption(json())
    .action(pipelineCmd('applyCmd'));
  pipeline
    .command('run <name>')
    .description('apply the pipeline file (if any), start a run and follow it to the end')
    .addOption(fileOpt())
    .option('-p, --param <k=v>', 'set a declared param (repeatable)', collect, [])
    .option('--force', 'run every step, ignoring the step cache')
    .option('--no-wait', 'return once the run has started (with a server)')
    .addOption(json())
    .action(pipelineCmd('runCmd'));
  pipeline.command('ls').description('pipelines').addOption(json()).action(pipelineCmd('ls'));
  pipeline
    .command('show <name>')
    .description('a pipeline: params, triggers, steps')
    .addOption(json())
    .action(pipelineCmd('show'));
  pipeline
    .command('runs [name]')
    .description('pipeline runs, newest first')
    .option('--status <status>', 'queued, running, succeeded, failed or cancelled')
    .option('--limit <n>', 'how many (default 20)')
    .addOption(json())
    .action(pipelineCmd('runs'));
  pipeline
    .command('status <run-id>')
    .description('a run and its steps (cache hits, attempts, outputs, metrics)')
    .option('--wait', 'follow the run until it ends')
    .addOption(json())
    .action(pipelineCmd('status'));
  pipeline.command('logs <run-id> <step>').description("a step's log").action(pipelineCmd('logs'));
  pipeline
    .command('cancel <run-id>')
    .description('cancel a queued or running run')
    .action(pipelineCmd('cancel'));
  pipeline
    .command('rm <name>')
    .description('delete a pipeline (its runs are kept)')
    .action(pipelineCmd('rm'));
  program
    .command('worker')
    .description('run pipeline steps from the job queue (same --data-dir / KEEL_DATABASE_URL as the server)')
    .option('--concurrency <n>', 'steps at a time (default 2)')
    .option('--lease-ms <ms>', 'job lease: how long a lost worker holds its steps (default 30000)')
    .action(lazyExport(() => import('./commands/pipeline.js'), 'worker'));

  const monitor = program
    .command('monitor')
    .description('monitors of deployments: drift, quality and performance per window, alert rules, reports');
  const monitorCmd = (name: string) => lazyExport(() => import('./commands/monitor.js'), name);
  monitor
    .command('create [deployment]')
    .description(
      'create a monitor of a deployment from flags and/or a YAML file (flags win); --replace updates one',
    )
    .option('--name <name>', 'monitor name (default: the deployment name)')
    .option('--window <window>', 'evaluation window: 1h, 1d, 1w (a multiple of the log window) or 10000p')
    .option('--reference <ref>', 'training (default), <dataset>@<version>, or window:<from>/<to>')
    .option('--delay <duration>', 'wait this long after a window ends before evaluating it (default 1m)')
    .option('--rule <expr>', 'alert rule, e.g. "psi(salary) > 0.2" (repeatable)', collect)
    .option('--for <n>', 'with --rule: consecutive breaching windows before an alert opens (default 1)')
    .option('--cooldown <duration>', 'with --rule: no new alert of a rule and route for this long, e.g. 6h')
    .addOption(
      new Option('--severity <severity>', 'with --rule: alert severity (default warning)').choices([
        'info',
        'warning',
        'critical',
      ]),
    )
    .option('--channel <name>', 'with --rule: alert channel to notify (repeatable)', collect)
    .option('--drift-share <share>', 'share of drifted columns that counts as dataset drift (default 0.5)')
    .option('--file <monitor.yaml>', 'YAML with the API keys: window, reference, drift, rules, …')
    .option('--replace', "replace an existing monitor's spec instead of creating one", false)
    .addOption(json())
    .action(lazyExport(() => import('./commands/monitor-create.js'), 'create'));
  monitor
    .command('ls')
    .description('monitors, by name')
    .option('--deployment <name>', 'only monitors of this deployment')
    .addOption(json())
    .action(monitorCmd('ls'));
  monitor
    .command('show <name>')
    .description('a monitor: spec, latest evaluation runs, open alerts')
    .addOption(json())
    .action(monitorCmd('show'));
  monitor
    .command('rm <name>')
    .description('delete a monitor and its results (its alerts stay as history)')
    .action(monitorCmd('rm'));
  monitor
    .command('run <name>')
    .description('evaluate a monitor now over an event-time range (default: everything logged)')
    .option('--from <time>', 'range start, ISO-8601 or epoch ms')
    .option('--to <time>', 'range end (exclusive), ISO-8601 or epoch ms')
    .addOption(json())
    .action(lazyExport(() => import('./commands/monitor-run.js'), 'run'));
  monitor
    .command('results <name>')
    .description('window results: drift, missing values, labels, realised and estimated performance')
    .option('--from <time>', 'windows ending after this time, ISO-8601 or epoch ms')
    .option('--to <time>', 'windows starting before this time')
    .option('--route <route>', 'only this route: primary, canary, shadow:3, variant:b')
    .addOption(json())
    .action(lazyExport(() => import('./commands/monitor-run.js'), 'results'));
  monitor
    .command('report <name>')
    .description('the report over a range: a self-contained HTML page (--html) or JSON (--json)')
    .option('--from <time>', 'range start, ISO-8601 or epoch ms (default: the first stored window)')
    .option('--to <time>', 'range end (default: the last stored window)')
    .option('--html <file>', 'write the HTML report here')
    .addOption(json())
    .action(lazy(() => import('./commands/monitor-report.js')));
  monitor
    .command('backtest')
    .description("replay a dataset version with timestamps through a monitor's checks and rules")
    .requiredOption('--deployment <name>', 'the deployment whose model and monitor to use')
    .requiredOption('--data <dataset@version>', 'the dataset version to replay')
    .requiredOption('--timestamp-column <col>', 'event-time column')
    .option('--label-column <col>', 'label column, for realised performance')
    .option('--monitor <name>', "use this monitor's spec (default: the deployment's monitor, else defaults)")
    .option('--window <window>', 'evaluation window, e.g. 1d')
    .option('--rule <expr>', 'alert rule (repeatable; replaces the monitor rules)', collect)
    .option('--for <n>', 'with --rule: consecutive breaching windows before an alert opens')
    .option('--cooldown <duration>', 'with --rule: cooldown after an alert opens, e.g. 6h')
    .addOption(json())
    .action(lazy(() => import('./commands/monitor-backtest.js')));

  const alerts = program
    .command('alerts')
    .description('monitoring alerts and their event feed; alert channels and webhook deliveries');
  alerts
    .command('ls')
    .description('alerts, newest first')
    .option('--monitor <name>', 'only alerts of this monitor')
    .option('--deployment <name>', 'only alerts of this deployment')
    .addOption(new Option('--status <status>', 'only open or resolved alerts').choices(['open', 'resolved']))
    .option('--limit <n>', 'most alerts to show (default 100)')
    .addOption(json())
    .action(monitorCmd('alertsLs'));
  alerts
    .command('events')
    .description('the alert event feed (opened, updated, resolved), oldest first')
    .option('--after <id>', 'only events after this id (what a follower saw last)')
    .option('--monitor <name>', 'only events of this monitor')
    .option('--deployment <name>', 'only events of this deployment')
    .option('--limit <n>', 'most events to show (default 100)')
    .addOption(json())
    .action(monitorCmd('alertsEvents'));
  const alertChannelCmd = (name: string) => lazyExport(() => import('./commands/alerts-channel.js'), name);
  const channel = alerts
    .command('channel')
    .description('where alert events go: the server log (`log`), webhooks');
  channel
    .command('create <name>')
    .description('create a webhook channel; prints its signing secret once')
    .requiredOption('--webhook <url>', 'http(s) URL alert events are POSTed to')
    .option('--secret <secret>', 'HMAC-SHA256 key for X-Keel-Signature (default: 32 random bytes, hex)')
    .option('--max-attempts <n>', 'attempts before a delivery fails, 1–20 (default 6)')
    .option('--backoff-ms <ms>', 'delay before the 2nd attempt, doubling after (default 1000)')
    .option('--timeout-ms <ms>', 'timeout of one POST (default 10000)')
    .addOption(json())
    .action(alertChannelCmd('create'));
  channel.command('ls').description('alert channels').addOption(json()).action(alertChannelCmd('ls'));
  channel
    .command('rm <name>')
    .description("delete a channel (refused while a monitor's rule uses it)")
    .action(alertChannelCmd('rm'));
  const deliveryCmd = (name: string) => lazyExport(() => import('./commands/alerts-deliveries.js'), name);
  const deliveries = alerts
    .command('deliveries')
    .description('webhook deliveries of alert events, newest first, with their attempts')
    .option('--monitor <name>', 'only events of this monitor')
    .addOption(
      new Option('--status <status>', 'only deliveries in this state').choices([
        'pending',
        'delivered',
        'failed',
      ]),
    )
    .option('--limit <n>', 'most deliveries to show (default 50)')
    .addOption(json())
    .action(deliveryCmd('list'));
  deliveries
    .command('retry <id>')
    .description('queue a failed delivery again for a new round of attempts')
    .addOption(json())
    .action(deliveryCmd('retry'));

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
