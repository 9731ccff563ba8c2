/**
 * One inference request through a deployment, whatever the protocol: choose the route (canary,
 * variant or primary; sticky by key), parse the body for the chosen version's signature, run it
 * through that version's batcher, hand the prediction to the log, observe metrics, and mirror the
 * request to shadows without waiting for them. Protocol routes only parse and format.
 */
import type { FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { KeelError } from '../../../core/errors.js';
import type { LiveDeployment, LoadedVersion, ServingManager } from '../../../serving/manager.js';
import type { ErrorReason } from '../../../serving/metrics.js';
import { QueueFullError, RequestTimeoutError } from '../../../serving/runtime/errors.js';
import type { Tensors } from '../../../serving/runtime/types.js';
import type { ModelIO, RouteName } from '../../../serving/types.js';

/** What a protocol's parser returns for one version's signature. */
export interface Parsed {
  feeds: Tensors;
  rows: number;
}

export interface ServeOptions {
  /** Sticky key from the body (a record field, an OIP parameter), when the deployment names a field. */
  bodyKey?: (field: string) => unknown;
  /** Answer with this version (OIP's /versions/{v}) instead of routing. */
  version?: number;
  /** Event time from the body (epoch ms or ISO-8601), overriding the header. */
  eventTime?: unknown;
  /** Request id from the body (OIP `id`), when no x-request-id header came. */
  requestId?: string;
}

export interface Served<P extends Parsed> {
  deployment: LiveDeployment;
  loaded: LoadedVersion;
  route: RouteName;
  parsed: P;
  outputs: Tensors;
  requestId: string;
}

const MAX_KEY = 256;
const NO_EXTRA: readonly string[] = [];

/** Epoch ms from a header or body value; absent → now; unparsable → 400 naming the field. */
export function eventTime(v: unknown, field: string, now: number): number {
  if (v === undefined || v === null || v === '') return now;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isFinite(n)) return n;
  }
  throw new KeelError(
    'INVALID_PARAMETER_VALUE',
    `${field} must be epoch milliseconds or an ISO-8601 time, got ${JSON.stringify(v)}`,
    { field },
  );
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function stickyKey(d: LiveDeployment, req: FastifyRequest, opts: ServeOptions): string | null {
  const sticky = d.spec.sticky;
  if (!sticky) return null;
  const raw = 'header' in sticky ? header(req, sticky.header.toLowerCase()) : opts.bodyKey?.(sticky.field);
  if (raw === undefined || raw === null || raw === '') return null;
  const s = String(raw);
  return s.length > MAX_KEY ? s.slice(0, MAX_KEY) : s;
}

/** The `reason` label for an error. */
export function reasonOf(e: unknown): ErrorReason {
  if (e instanceof QueueFullError) return 'queue_full';
  if (e instanceof RequestTimeoutError) return 'timeout';
  if (e instanceof KeelError) {
    if (
      e.code === 'INVALID_PARAMETER_VALUE' ||
      e.code === 'BAD_REQUEST' ||
      e.code === 'UNSUPPORTED_MEDIA_TYPE'
    )
      return 'bad_input';
    if (e.code === 'RESOURCE_DOES_NOT_EXIST' || e.code === 'ENDPOINT_NOT_FOUND') return 'not_found';
    if (e.code === 'PAYLOAD_TOO_LARGE') return 'too_large';
    if (e.code === 'TEMPORARILY_UNAVAILABLE') return 'unavailable';
  }
  return 'model_error';
}

export async function serve<P extends Parsed>(
  m: ServingManager,
  name: string,
  req: FastifyRequest,
  parse: (io: ModelIO, allowExtra: readonly string[]) => P,
  opts: ServeOptions = {},
): Promise<Served<P>> {
  const arrived = performance.now();
  let d: LiveDeployment;
  try {
    d = m.peek(name) ?? (await m.get(name));
  } catch (e) {
    // Unknown names share one series: callers must not be able to grow /metrics at will.
    m.metrics.error(reasonOf(e) === 'not_found' ? '' : name, reasonOf(e));
    throw e;
  }
  const gauge = m.metrics.inFlightOf(name);
  gauge.inc();
  let route: RouteName = 'primary';
  // Set once a version was chosen and the body parsed: a failure after that is the version's.
  let attempt: { version: number; rows: number; time: number } | null = null;
  try {
    // Generated ids are UUIDv7 (time-ordered): the prediction log's request-id index then grows at its
    // end instead of at random pages, which kept record inserts 2.7× cheaper over 500k rows.
    const requestId = header(req, 'x-request-id') ?? opts.requestId ?? uuidv7();
    const time = eventTime(
      opts.eventTime ?? header(req, 'x-keel-event-time'),
      opts.eventTime !== undefined ? 'timestamp' : 'x-keel-event-time',
      Date.now(),
    );
    let loaded: LoadedVersion;
    if (opts.version !== undefined) {
      loaded = m.version(d, opts.version);
      route = routeOfVersion(d, opts.version);
    } else {
      const r = m.route(d, stickyKey(d, req, opts));
      loaded = r.loaded;
      route = r.choice.route;
    }
    const sticky = d.spec.sticky;
    // A sticky field in the records (e.g. customer_id) may be an entity id rather than a feature.
    const extra = sticky && 'field' in sticky ? [sticky.field] : NO_EXTRA;
    const parsed = parse(loaded.io, extra);
    attempt = { version: loaded.version, rows: parsed.rows, time };
    const rm = m.routeMetrics(d, loaded, route);
    const res = await loaded.model.infer(parsed.feeds, timeoutOf(req, d));
    const totalUs = (performance.now() - arrived) * 1000;
    rm.requests.inc();
    rm.rows.inc(parsed.rows);
    rm.duration.observe(totalUs / 1e6);
    rm.queue.observe(res.queueUs / 1e6);
    rm.compute.observe(res.computeUs / 1e6);
    const log = m.log;
    const logSpec = d.spec.log;
    if (log && logSpec.enabled) {
      log.record(
        {
          deployment: d.name,
          model: d.spec.model,
          version: loaded.version,
          route,
          requestId,
          eventTime: time,
          latencyUs: Math.round(totalUs),
          inputs: parsed.feeds,
          outputs: res.outputs,
        },
        loaded.io,
        logSpec,
      );
    }
    if (opts.version === undefined && d.spec.shadows.length > 0) {
      mirror(m, d, loaded, parsed, (io) => parse(io, extra), requestId, time);
    }
    return { deployment: d, loaded, route, parsed, outputs: res.outputs, requestId };
  } catch (e) {
    const reason = reasonOf(e);
    m.metrics.error(name, reason, route);
    if (attempt && m.log && SERVER_FAULTS.has(reason)) {
      m.log.recordFailure(
        {
          deployment: d.name,
          model: d.spec.model,
          version: attempt.version,
          route,
          eventTime: attempt.time,
          rows: attempt.rows,
          reason,
        },
        d.spec.log,
      );
    }
    throw e;
  } finally {
    gauge.dec();
  }
}

/** Failures that count against the version that answered (canary analysis' error rate); not the caller's. */
const SERVER_FAULTS: ReadonlySet<ErrorReason> = new Set([
  'model_error',
  'timeout',
  'queue_full',
  'unavailable',
]);

/** A client may shorten the deployment's timeout for one request (x-keel-timeout-ms), never lengthen it. */
function timeoutOf(req: FastifyRequest, d: LiveDeployment): { timeoutMs?: number } {
  const raw = header(req, 'x-keel-timeout-ms');
  if (raw === undefined) return {};
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1) {
    throw new KeelError(
      'INVALID_PARAMETER_VALUE',
      `x-keel-timeout-ms must be a positive integer, got '${raw}'`,
      {
        field: 'x-keel-timeout-ms',
      },
    );
  }
  return { timeoutMs: Math.min(ms, d.spec.batching.timeoutMs) };
}

function routeOfVersion(d: LiveDeployment, v: number): RouteName {
  const s = d.spec;
  if (v === s.primary && s.variants.length === 0) return 'primary';
  if (s.canary?.version === v) return 'canary';
  const variant = s.variants.find((x) => x.version === v);
  if (variant) return `variant:${variant.name}`;
  // ServingManager.version() only hands out routed versions: what is left is a shadow.
  return 'shadow';
}

/** Sends the request to every shadow; their results are logged and discarded, their failures counted. */
function mirror<P extends Parsed>(
  m: ServingManager,
  d: LiveDeployment,
  primary: LoadedVersion,
  parsed: P,
  parse: (io: ModelIO) => P,
  requestId: string,
  time: number,
): void {
  for (const v of d.spec.shadows) {
    const sv = d.versions.get(v);
    if (!sv || sv === primary) continue;
    let feeds: Tensors;
    let rows: number;
    try {
      const p = sv.inputsKey === primary.inputsKey ? parsed : parse(sv.io);
      feeds = p.feeds;
      rows = p.rows;
    } catch {
      m.metrics.shadowDrop(d.name, v, 'bad_input');
      continue;
    }
    const start = performance.now();
    sv.model.infer(feeds).then(
      (res) => {
        const us = (performance.now() - start) * 1000;
        const rm = m.routeMetrics(d, sv, 'shadow');
        rm.requests.inc();
        rm.rows.inc(rows);
        rm.duration.observe(us / 1e6);
        rm.queue.observe(res.queueUs / 1e6);
        rm.compute.observe(res.computeUs / 1e6);
        if (m.log && d.spec.log.enabled) {
          m.log.record(
            {
              deployment: d.name,
              model: d.spec.model,
              version: sv.version,
              route: 'shadow',
              requestId,
              eventTime: time,
              latencyUs: Math.round(us),
              inputs: feeds,
              outputs: res.outputs,
            },
            sv.io,
            d.spec.log,
          );
        }
      },
      (e: unknown) => m.metrics.shadowDrop(d.name, v, reasonOf(e)),
    );
  }
}
