/**
 * ServingManager: the deployments this process serves. Each routed version of a deployment is a
 * ServedModel (a dynamic batcher over a worker pool); the previous primary stays loaded as a warm
 * standby so rollback is a pointer switch. A routing change loads and warms new versions first
 * (`prepare`, before the change commits; a failed load refuses the change and the current routes keep
 * serving), then switches (`applied`) and drains and terminates versions nothing routes to anymore.
 *
 * Eager mode (`keel server`) loads every deployment at start and reconciles with the database every
 * few seconds, so replicas follow changes made elsewhere and a restart serves what was deployed.
 * Lazy mode (CLI local mode, tests) loads a deployment on its first request.
 */
import type { Context } from '../context.js';
import { KeelError, notFound } from '../core/errors.js';
import { readBlob } from '../registry/onnx.js';
import { getModelVersion } from '../registry/versions.js';
import { getDeployment, listDeployments } from './deployments/index.js';
import { routesOf, versionsOf } from './deployments/spec.js';
import type { PredictionLog } from './log/log.js';
import type { RouteMetrics, ServingMetrics } from './metrics.js';
import { modelIO } from './model-io.js';
import { chooseRoute, type RouteChoice } from './router.js';
import { ServedModel } from './runtime/served-model.js';
import type { Tensors } from './runtime/types.js';
import type {
  BatchingSpec,
  Deployment,
  DeploymentHooks,
  DeploymentSpec,
  DeploymentStatus,
  ModelIO,
  RouteName,
  VersionStatus,
} from './types.js';

/** One version loaded for one deployment with one batching configuration. */
export interface LoadedVersion {
  version: number;
  key: string;
  io: ModelIO;
  /** Equal for versions whose inputs are the same, so a shadow can reuse the primary's feeds. */
  inputsKey: string;
  model: ServedModel;
  metrics: Map<string, RouteMetrics>;
}

export interface LiveDeployment {
  name: string;
  spec: DeploymentSpec;
  revision: number;
  /** Loaded versions by number, for the current batching settings. */
  versions: Map<number, LoadedVersion>;
  /** Versions that failed to load, with the reason. */
  failed: Map<number, string>;
}

export interface ManagerOptions {
  mode: 'eager' | 'lazy';
  metrics: ServingMetrics;
  log: PredictionLog | null;
  /** How often eager mode re-reads deployments (ms); default 2000. */
  reconcileMs?: number;
  /** How often versions that failed to load are retried (ms); default 30,000. */
  retryFailedMs?: number;
}

/** Versions traffic reaches (a failed load of one of these refuses the change; the standby may fail). */
function routedVersions(spec: DeploymentSpec): Set<number> {
  return new Set(versionsOf(spec).filter((v) => isRouted(spec, v)));
}

const isRouted = (spec: DeploymentSpec, v: number): boolean => routesOf(spec, v).length > 0;

/**
 * A shadow's answers are discarded, so its latency does not matter: it batches with a longer delay
 * and larger batches than the deployment's routes, which turns one onnxruntime call per mirrored
 * request into one per many (the per-call overhead, not the rows, is most of a small model's cost).
 */
const SHADOW_DELAY_US = 2000;
/** How often reconcile retries loading versions that failed (ms). */
const RETRY_FAILED_MS = 30_000;
const SHADOW_BATCH_ROWS = 256;

function batchingFor(spec: DeploymentSpec, v: number): BatchingSpec {
  const b = spec.batching;
  const routes = routesOf(spec, v);
  if (routes.length !== 1 || routes[0] !== 'shadow') return b;
  const maxBatchRows = Math.max(b.maxBatchRows, SHADOW_BATCH_ROWS);
  return {
    ...b,
    maxBatchRows,
    maxDelayUs: Math.max(b.maxDelayUs, SHADOW_DELAY_US),
    maxQueueRows: Math.max(b.maxQueueRows, maxBatchRows * 4),
  };
}

const batchingKey = (b: BatchingSpec): string =>
  `${b.maxBatchRows}/${b.maxDelayUs}/${b.maxQueueRows}/${b.timeoutMs}/${b.workers}/${b.threads}`;

/** A one-row feed of neutral values, run by every worker before a version counts as ready. */
export function warmupFeeds(io: ModelIO): Tensors {
  const feeds: Tensors = {};
  for (const input of io.inputs) {
    const dims = (input.shape ?? [1, 1]).map((d, i) =>
      i === 0 ? 1 : typeof d === 'number' && d > 0 ? d : 1,
    );
    const size = dims.reduce((a, b) => a * b, 1);
    switch (input.elemType) {
      case 'string':
        feeds[input.name] = { type: 'string', dims, data: new Array<string>(size).fill('') };
        break;
      case 'double':
        feeds[input.name] = { type: 'float64', dims, data: new Float64Array(size) };
        break;
      case 'int64':
        feeds[input.name] = { type: 'int64', dims, data: new BigInt64Array(size) };
        break;
      case 'int32':
        feeds[input.name] = { type: 'int32', dims, data: new Int32Array(size) };
        break;
      case 'bool':
        feeds[input.name] = { type: 'bool', dims, data: new Uint8Array(size) };
        break;
      default:
        feeds[input.name] = { type: 'float32', dims, data: new Float32Array(size) };
    }
  }
  return feeds;
}

export class ServingManager implements DeploymentHooks {
  private readonly live = new Map<string, LiveDeployment>();
  private readonly loading = new Map<string, Promise<LiveDeployment>>();
  /** Versions loaded by `prepare` and not yet switched to, by deployment and `version|batching`. */
  private readonly staged = new Map<string, Map<string, LoadedVersion>>();
  /** Per deployment, changes run one at a time (prepare → applied may interleave across calls). */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Revisions that failed to apply in reconcile, not retried until they change. */
  private readonly failedRevision = new Map<string, number>();
  /** When versions that failed to load were last retried, by deployment. */
  private readonly retried = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ctx: Context,
    private readonly opts: ManagerOptions,
  ) {}

  get metrics(): ServingMetrics {
    return this.opts.metrics;
  }

  get log(): PredictionLog | null {
    return this.opts.log;
  }

  /** Eager mode: load every deployment, then keep following the database. */
  async start(): Promise<void> {
    if (this.opts.mode !== 'eager') return;
    await this.reconcile();
    const every = this.opts.reconcileMs ?? 2000;
    this.timer = setInterval(() => {
      this.reconcile().catch((e: unknown) =>
        this.ctx.logger.error({ err: e }, 'serving: reconciling deployments failed'),
      );
    }, every);
    this.timer.unref();
  }

  /** The live deployment, loading it on first use (lazy mode, or one created by another replica). */
  async get(name: string): Promise<LiveDeployment> {
    const d = this.live.get(name);
    if (d) return d;
    if (this.closed) throw new KeelError('TEMPORARILY_UNAVAILABLE', 'the server is shutting down');
    let p = this.loading.get(name);
    if (!p) {
      p = this.withLock(name, async () => {
        const existing = this.live.get(name);
        if (existing) return existing;
        const dep = await getDeployment(this.ctx, name);
        return this.install(dep);
      });
      this.loading.set(name, p);
      p.finally(() => this.loading.delete(name)).catch(() => {});
    }
    return p;
  }

  /** The live deployment if this process has it loaded (no I/O). */
  peek(name: string): LiveDeployment | undefined {
    return this.live.get(name);
  }

  liveDeployments(): LiveDeployment[] {
    return [...this.live.values()];
  }

  /** Chooses the route for a request and returns the loaded version that answers it. */
  route(d: LiveDeployment, key: string | null): { choice: RouteChoice; loaded: LoadedVersion } {
    const choice = chooseRoute(d.spec, key);
    const loaded = d.versions.get(choice.version);
    if (loaded) return { choice, loaded };
    // A canary or variant that failed to load: its share goes to the primary rather than failing.
    const primary = d.versions.get(d.spec.primary);
    if (primary && choice.route !== 'primary')
      return { choice: { version: d.spec.primary, route: 'primary' }, loaded: primary };
    const why = d.failed.get(choice.version);
    throw new KeelError(
      'TEMPORARILY_UNAVAILABLE',
      `deployment ${d.name}: version ${choice.version} is not loaded${why ? ` (${why})` : ''}`,
    );
  }

  /** A loaded version by number (OIP's /versions/{v}); 404 when no route of the deployment reaches it. */
  version(d: LiveDeployment, v: number): LoadedVersion {
    const loaded = d.versions.get(v);
    if (!loaded || !isRouted(d.spec, v)) {
      const standby =
        d.spec.previous === v ? ` (version ${v} is the rollback standby and takes no traffic)` : '';
      throw notFound(
        `deployment ${d.name} has no version ${v} serving${standby}; it serves ${this.servedVersions(d).join(', ')}`,
      );
    }
    return loaded;
  }

  /** Versions some route of the deployment reaches (primary, canary, variants, shadows). */
  servedVersions(d: LiveDeployment): number[] {
    return versionsOf(d.spec).filter((v) => isRouted(d.spec, v));
  }

  /** Cached metric children for a version on a route. */
  routeMetrics(d: LiveDeployment, lv: LoadedVersion, route: RouteName): RouteMetrics {
    let m = lv.metrics.get(route);
    if (!m) {
      m = this.opts.metrics.forRoute(d.name, d.spec.model, lv.version, route);
      lv.metrics.set(route, m);
    }
    return m;
  }

  // ── DeploymentHooks ───────────────────────────────────────────────────────────────────────────

  async prepare(name: string, spec: DeploymentSpec): Promise<void> {
    // Lazy mode does not load deployments nobody has called in this process.
    if (this.opts.mode === 'lazy' && !this.live.has(name)) return;
    await this.withLock(name, () => this.stage(name, spec));
  }

  async applied(name: string, dep: Deployment | null): Promise<void> {
    this.failedRevision.delete(name);
    if (dep === null) {
      await this.withLock(name, () => this.uninstall(name));
      return;
    }
    if (this.opts.mode === 'lazy' && !this.live.has(name)) return;
    await this.withLock(name, async () => {
      await this.install(dep);
    });
    this.opts.metrics.routeChange(name);
  }

  status(name: string): DeploymentStatus | null {
    const d = this.live.get(name);
    if (!d) return null;
    const versions: VersionStatus[] = versionsOf(d.spec).map((v) => {
      const routes = routesOf(d.spec, v);
      if (d.versions.has(v)) return { version: v, routes, state: routes.length > 0 ? 'ready' : 'standby' };
      const error = d.failed.get(v);
      return error
        ? { version: v, routes, state: 'failed', error }
        : { version: v, routes, state: 'loading' };
    });
    const ready = [...routedVersions(d.spec)].every((v) => d.versions.has(v));
    return { ready, versions };
  }

  /** Whether every loaded deployment can answer on all its routes. */
  ready(): boolean {
    return [...this.live.values()].every((d) => d.versions.has(d.spec.primary));
  }

  /** Rows waiting per deployment and version (for the queued-rows gauge). */
  queued(): { deployment: string; version: number; rows: number }[] {
    const out: { deployment: string; version: number; rows: number }[] = [];
    for (const d of this.live.values())
      for (const lv of d.versions.values())
        out.push({ deployment: d.name, version: lv.version, rows: lv.model.stats().queuedRows });
    return out;
  }

  /** Follows the database: loads new and changed deployments, unloads removed ones. */
  async reconcile(): Promise<void> {
    if (this.closed) return;
    const deps = await listDeployments(this.ctx);
    const seen = new Set<string>();
    for (const dep of deps) {
      seen.add(dep.name);
      const cur = this.live.get(dep.name);
      if (cur && cur.revision === dep.revision) {
        // Versions that failed to load (a blob store briefly down at start) are retried now and then.
        if (
          cur.failed.size > 0 &&
          Date.now() - (this.retried.get(dep.name) ?? 0) >= (this.opts.retryFailedMs ?? RETRY_FAILED_MS)
        ) {
          this.retried.set(dep.name, Date.now());
          await this.withLock(dep.name, () => this.install(dep)).catch(() => {});
        }
        continue;
      }
      if (this.opts.mode === 'lazy' && !cur) continue;
      if (this.failedRevision.get(dep.name) === dep.revision) continue;
      try {
        await this.withLock(dep.name, async () => {
          // A change made elsewhere must load before it replaces working routes; a deployment not
          // served here yet (server start) is installed with whatever loads, failures retried later.
          if (cur) await this.stage(dep.name, dep.spec);
          await this.install(dep);
        });
      } catch (e) {
        this.failedRevision.set(dep.name, dep.revision);
        this.ctx.logger.error(
          { err: e, deployment: dep.name, revision: dep.revision },
          'serving: could not apply a deployment change; the previous routes keep serving',
        );
      }
    }
    for (const name of [...this.live.keys()]) {
      if (!seen.has(name)) await this.withLock(name, () => this.uninstall(name));
    }
  }

  /** Stops following, drains every deployment and stops every worker; then flushes the log. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.loading.values()]);
    const all: ServedModel[] = [];
    for (const d of this.live.values()) for (const lv of d.versions.values()) all.push(lv.model);
    for (const st of this.staged.values()) for (const lv of st.values()) all.push(lv.model);
    this.live.clear();
    this.staged.clear();
    await Promise.allSettled(all.map((m) => m.close()));
    await this.opts.log?.close();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────

  private withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      name,
      next.catch(() => {}),
    );
    return next;
  }

  /** Loads every version `spec` needs that is not loaded with its batching; throws if a routed one fails. */
  private async stage(name: string, spec: DeploymentSpec): Promise<void> {
    const cur = this.live.get(name);
    let staged = this.staged.get(name);
    if (!staged) {
      staged = new Map();
      this.staged.set(name, staged);
    }
    const routed = routedVersions(spec);
    const failures: string[] = [];
    const fresh: LoadedVersion[] = [];
    await Promise.all(
      versionsOf(spec).map(async (v) => {
        const key = batchingKey(batchingFor(spec, v));
        const have = cur?.versions.get(v);
        if (have && have.key === key) return;
        if (staged.has(`${v}|${key}`)) return;
        try {
          const lv = await this.load(name, spec, v);
          staged.set(`${v}|${key}`, lv);
          fresh.push(lv);
        } catch (e) {
          const msg = (e as Error).message;
          if (routed.has(v)) failures.push(`${spec.model}@${v}: ${msg}`);
          else
            this.ctx.logger.warn(
              { deployment: name, version: v, err: e },
              'serving: standby version failed to load',
            );
        }
      }),
    );
    if (failures.length > 0) {
      for (const lv of fresh) {
        staged.delete(`${lv.version}|${lv.key}`);
        await lv.model.close();
      }
      throw new KeelError(
        'INVALID_PARAMETER_VALUE',
        `deployment ${name}: cannot load ${failures.join('; ')}; the current routes keep serving`,
        { field: 'model' },
      );
    }
  }

  /** Switches `dep`'s routes to loaded versions and unloads what nothing routes to anymore. */
  private async install(dep: Deployment): Promise<LiveDeployment> {
    const name = dep.name;
    const spec = dep.spec;
    const cur = this.live.get(name);
    const staged = this.staged.get(name) ?? new Map<string, LoadedVersion>();
    const versions = new Map<number, LoadedVersion>();
    const failed = new Map<number, string>();
    for (const v of versionsOf(spec)) {
      const key = batchingKey(batchingFor(spec, v));
      const have = cur?.versions.get(v);
      let lv = have && have.key === key ? have : staged.get(`${v}|${key}`);
      if (lv) staged.delete(`${v}|${key}`);
      if (!lv) {
        try {
          lv = await this.load(name, spec, v);
        } catch (e) {
          failed.set(v, (e as Error).message);
          this.ctx.logger.error({ deployment: name, version: v, err: e }, 'serving: version failed to load');
          continue;
        }
      }
      versions.set(v, lv);
    }
    const next: LiveDeployment = { name, spec, revision: dep.revision, versions, failed };
    this.live.set(name, next);
    // Requests already queued on replaced versions finish there; nothing new reaches them.
    const retired = [...(cur?.versions.values() ?? [])].filter((lv) => versions.get(lv.version) !== lv);
    await Promise.allSettled(retired.map((lv) => lv.model.close()));
    return next;
  }

  private async uninstall(name: string): Promise<void> {
    const cur = this.live.get(name);
    this.live.delete(name);
    const staged = this.staged.get(name);
    this.staged.delete(name);
    const models = [...(cur?.versions.values() ?? []), ...(staged?.values() ?? [])].map((lv) => lv.model);
    await Promise.allSettled(models.map((m) => m.close()));
  }

  private async load(name: string, spec: DeploymentSpec, v: number): Promise<LoadedVersion> {
    const mv = await getModelVersion(this.ctx, spec.model, v);
    if (!mv.onnx)
      throw new KeelError('INVALID_PARAMETER_VALUE', `${spec.model}@${v} has no ONNX model to serve`);
    const bytes = await readBlob(this.ctx, mv.onnx.sha256);
    const io = modelIO(mv);
    const b = batchingFor(spec, v);
    const batchRows = this.opts.metrics.batchRows(name, spec.model, v);
    const model = await ServedModel.start(bytes, {
      workers: b.workers,
      threads: b.threads,
      warmup: warmupFeeds(io),
      maxBatchRows: b.maxBatchRows,
      maxDelayUs: b.maxDelayUs,
      maxQueueRows: b.maxQueueRows,
      timeoutMs: b.timeoutMs,
      onBatch: (rows) => batchRows.observe(rows),
    });
    const inputsKey = io.inputs.map((i) => `${i.name}:${i.type}:${JSON.stringify(i.shape)}`).join('|');
    return { version: v, key: batchingKey(b), io, inputsKey, model, metrics: new Map() };
  }
}
