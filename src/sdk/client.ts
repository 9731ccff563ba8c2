import type { Experiment } from '../tracking/types.js';
import { Audit, Tokens } from './admin.js';
import { Alerts } from './alerts.js';
import { Api } from './api.js';
import { Datasets } from './datasets.js';
import { Deployments } from './deployments.js';
import { KeelApiError } from './errors.js';
import { Experiments } from './experiments.js';
import { Gates } from './gates.js';
import { Jobs } from './jobs.js';
import { Models } from './models.js';
import { Monitors } from './monitors.js';
import { Pipelines } from './pipelines.js';
import { Predictions } from './predictions.js';
import { Rollouts } from './rollouts.js';
import { ActiveRun, type RunLoggerOptions } from './run-logger.js';
import { Runs } from './runs.js';
import { HttpTransport, type Transport } from './transport.js';

/** Where the client talks to: a server URL (plus token), or any Transport (e.g. in-process). */
export type KeelOptions = ({ url: string; token?: string } | { transport: Transport }) & RunLoggerOptions;

export interface StartRunOptions extends RunLoggerOptions {
  /** The experiment to log to, created if missing. Ignored when experimentId is given. */
  experimentName?: string;
  experimentId?: string;
  runName?: string;
  tags?: Record<string, string>;
  /** Epoch ms; default: now on the server. */
  startTime?: number;
}

/** The Keel client: `new Keel({ url, token })` or `new Keel({ transport })`. */
export class Keel {
  readonly experiments: Experiments;
  readonly runs: Runs;
  readonly tokens: Tokens;
  readonly audit: Audit;
  readonly datasets: Datasets;
  readonly models: Models;
  /** Deployments' prediction logs: feedback (labels), logged predictions, window profiles, samples. */
  readonly predictions: Predictions;
  readonly deployments: Deployments;
  /** Alert channels (server log, webhooks) and the webhook delivery log. */
  readonly alerts: Alerts;
  /** Monitors of deployments: runs, window results, reports, alerts and the alert event feed. */
  readonly monitors: Monitors;
  /** Validation gates: a candidate version vs the champion on held-out data. */
  readonly gates: Gates;
  /** The durable job queue (pipeline steps): list, inspect, retry dead jobs. */
  readonly jobs: Jobs;
  /** Pipelines (keel.yaml): apply, run, follow runs and step logs. */
  readonly pipelines: Pipelines;
  /** Progressive delivery: canary rollouts with automatic analysis, promotion or rollback. */
  readonly rollouts: Rollouts;
  readonly transport: Transport;
  private readonly loggerDefaults: RunLoggerOptions;

  constructor(opts: KeelOptions) {
    this.transport = 'transport' in opts ? opts.transport : new HttpTransport(opts.url, opts.token);
    const api = new Api(this.transport);
    this.experiments = new Experiments(api);
    this.runs = new Runs(api);
    this.tokens = new Tokens(api);
    this.audit = new Audit(api);
    this.datasets = new Datasets(api);
    this.models = new Models(api, this.datasets);
    this.predictions = new Predictions(api);
    this.deployments = new Deployments(api);
    this.alerts = new Alerts(api);
    this.monitors = new Monitors(api);
    this.gates = new Gates(api);
    this.jobs = new Jobs(api);
    this.pipelines = new Pipelines(api);
    this.rollouts = new Rollouts(api);
    this.loggerDefaults = { flushIntervalMs: opts.flushIntervalMs, flushAt: opts.flushAt };
  }

  /** Creates a run (and its experiment, by name, if needed) and returns a buffered logger for it. */
  async startRun(opts: StartRunOptions = {}): Promise<ActiveRun> {
    const experimentId =
      opts.experimentId ??
      (opts.experimentName !== undefined
        ? (await this.ensureExperiment(opts.experimentName)).experimentId
        : undefined);
    const run = await this.runs.create({
      experimentId,
      runName: opts.runName,
      startTime: opts.startTime,
      tags: Object.entries(opts.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    return new ActiveRun(this.runs, run, {
      flushIntervalMs: opts.flushIntervalMs ?? this.loggerDefaults.flushIntervalMs,
      flushAt: opts.flushAt ?? this.loggerDefaults.flushAt,
    });
  }

  /** The experiment with this name, created if it does not exist (another client may race us to it). */
  async ensureExperiment(name: string): Promise<Experiment> {
    try {
      return await this.experiments.getByName(name);
    } catch (e) {
      if (!(e instanceof KeelApiError && e.code === 'RESOURCE_DOES_NOT_EXIST')) throw e;
    }
    try {
      return await this.experiments.create({ name });
    } catch (e) {
      if (!(e instanceof KeelApiError && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
      return this.experiments.getByName(name);
    }
  }
}
