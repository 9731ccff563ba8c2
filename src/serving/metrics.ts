/**
 * Serving's Prometheus metrics (prom-client, one Registry per server so tests and in-process apps
 * never share counters). Labelled by deployment, model, version and route; latency is split into
 * queue time and compute time, as Triton and TorchServe report it. Hot-path observations go
 * through cached label children (`forRoute`), so a request costs a few additions, not label lookups.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536];

/** Why a request failed, as the `reason` label says it. */
export type ErrorReason =
  | 'bad_input'
  | 'not_found'
  | 'queue_full'
  | 'timeout'
  | 'model_error'
  | 'too_large'
  | 'unavailable'
  | 'unauthenticated';

/** The children one loaded version observes on every request. */
export interface RouteMetrics {
  requests: Counter.Internal;
  rows: Counter.Internal;
  duration: Histogram.Internal<string>;
  queue: Histogram.Internal<string>;
  compute: Histogram.Internal<string>;
}

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly rows: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly duration: Histogram<string>;
  private readonly queue: Histogram<string>;
  private readonly compute: Histogram<string>;
  private readonly batch: Histogram<string>;
  readonly inFlight: Gauge<string>;
  private readonly logDropped: Counter<string>;
  private readonly shadowDropped: Counter<string>;
  private readonly swaps: Counter<string>;

  constructor(collect: { queuedRows?: () => { deployment: string; version: number; rows: number }[] } = {}) {
    const registers = [this.registry];
    const routeLabels = ['deployment', 'model', 'version', 'route'];
    this.requests = new Counter({
      name: 'keel_serving_requests_total',
      help: 'Inference requests answered, by deployment, model version and route.',
      labelNames: routeLabels,
      registers,
    });
    this.rows = new Counter({
      name: 'keel_serving_rows_total',
      help: 'Rows predicted (a request of n rows counts n).',
      labelNames: routeLabels,
      registers,
    });
    this.errors = new Counter({
      name: 'keel_serving_errors_total',
      help: 'Failed inference requests by reason (bad_input, not_found, queue_full, timeout, model_error, too_large, unavailable).',
      labelNames: ['deployment', 'reason', 'route'],
      registers,
    });
    this.duration = new Histogram({
      name: 'keel_serving_request_duration_seconds',
      help: 'Time from a parsed request to its outputs: queueing plus compute.',
      labelNames: routeLabels,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queue = new Histogram({
      name: 'keel_serving_queue_duration_seconds',
      help: 'Time a request waited in the dynamic batcher before its batch was dispatched.',
      labelNames: routeLabels,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.compute = new Histogram({
      name: 'keel_serving_compute_duration_seconds',
      help: "Time from dispatch to the batch's outputs, including the trip to the worker thread.",
      labelNames: routeLabels,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batch = new Histogram({
      name: 'keel_serving_batch_rows',
      help: 'Rows per batch sent to onnxruntime.',
      labelNames: ['deployment', 'model', 'version'],
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'keel_serving_in_flight_requests',
      help: 'Requests accepted and not yet answered, per deployment.',
      labelNames: ['deployment'],
      registers,
    });
    const queued = collect.queuedRows;
    new Gauge({
      name: 'keel_serving_queued_rows',
      help: 'Rows waiting in the dynamic batcher, per deployment and version.',
      labelNames: ['deployment', 'version'],
      registers,
      collect() {
        this.reset();
        for (const q of queued?.() ?? [])
          this.set({ deployment: q.deployment, version: String(q.version) }, q.rows);
      },
    });
    this.logDropped = new Counter({
      name: 'keel_prediction_log_dropped_total',
      help: 'Predictions the log dropped instead of blocking requests (reason: backlog, worker_backlog, error, worker_exit, closed).',
      labelNames: ['deployment', 'reason'],
      registers,
    });
    this.shadowDropped = new Counter({
      name: 'keel_serving_shadow_dropped_total',
      help: 'Mirrored requests a shadow could not take (its queue full, bad input for its signature, or an error).',
      labelNames: ['deployment', 'version', 'reason'],
      registers,
    });
    this.swaps = new Counter({
      name: 'keel_serving_route_changes_total',
      help: 'Routing changes applied (create, traffic, promote, rollback, primary).',
      labelNames: ['deployment'],
      registers,
    });
  }

  forRoute(deployment: string, model: string, version: number, route: string): RouteMetrics {
    const l = { deployment, model, version: String(version), route };
    return {
      requests: this.requests.labels(l),
      rows: this.rows.labels(l),
      duration: this.duration.labels(l),
      queue: this.queue.labels(l),
      compute: this.compute.labels(l),
    };
  }

  private readonly inFlightChildren = new Map<string, Gauge.Internal<string>>();

  /** The in-flight gauge of a deployment (children cached: label hashing per request is measurable). */
  inFlightOf(deployment: string): Gauge.Internal<string> {
    let g = this.inFlightChildren.get(deployment);
    if (!g) {
      g = this.inFlight.labels({ deployment });
      this.inFlightChildren.set(deployment, g);
    }
    return g;
  }

  batchRows(deployment: string, model: string, version: number): Histogram.Internal<string> {
    return this.batch.labels({ deployment, model, version: String(version) });
  }

  error(deployment: string, reason: ErrorReason, route = ''): void {
    this.errors.inc({ deployment, reason, route });
  }

  logDrop(deployment: string, reason: string, n: number): void {
    if (n > 0) this.logDropped.inc({ deployment, reason }, n);
  }

  shadowDrop(deployment: string, version: number, reason: string): void {
    this.shadowDropped.inc({ deployment, version: String(version), reason });
  }

  routeChange(deployment: string): void {
    this.swaps.inc({ deployment });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
