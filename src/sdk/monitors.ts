import type { Readable } from 'node:stream';
import type { NewMonitor } from '../monitoring/monitors.js';
import type { MonitorRun } from '../monitoring/queries.js';
import type { MonitorInput } from '../monitoring/spec.js';
import type {
  Alert,
  AlertEvent,
  AlertEventPayload,
  AlertStatus,
  Monitor,
  MonitorReport,
  WindowResult,
} from '../monitoring/types.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

export type { NewMonitor } from '../monitoring/monitors.js';
export type { MonitorRun } from '../monitoring/queries.js';
export type { MonitorInput, NewRule } from '../monitoring/spec.js';
export type {
  Alert,
  AlertRule,
  AlertStatus,
  ColumnDrift,
  ColumnQuality,
  MetricMap,
  Monitor,
  MonitorReport,
  MonitorSpec,
  ReferenceSpec,
  Severity,
  WindowResult,
  WindowSpec,
} from '../monitoring/types.js';

/** An event time: epoch milliseconds, an ISO-8601 string, or a Date. */
export type EventTime = number | string | Date;

/** An event-time range [from, to); either end may be left open. */
export interface TimeRange {
  from?: EventTime | undefined;
  to?: EventTime | undefined;
}

/** What `keel.monitors.run` answers: the range evaluated, how many window results, the alert events. */
export interface MonitorRunResult {
  id: number;
  monitor: string;
  from: number;
  to: number;
  /** Window results written (one per window and route). */
  windows: number;
  events: AlertEventPayload[];
}

const time = (t: EventTime | undefined): number | string | undefined => (t instanceof Date ? t.getTime() : t);

const range = (r: TimeRange): { from?: number | string; to?: number | string } => {
  const out: { from?: number | string; to?: number | string } = {};
  const from = time(r.from);
  const to = time(r.to);
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  return out;
};

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `keel.monitors`: monitors of deployments (window, reference, checks, alert rules), evaluation
 * runs, window results, reports, and the alerts and alert event feed they produce.
 */
export class Monitors {
  constructor(private readonly api: Api) {}

  private base(name: string): string {
    return `/api/v1/monitors/${seg(name)}`;
  }

  /** Creates a monitor (name defaults to the deployment's), validated against the deployment's model. */
  create(input: NewMonitor): Promise<Monitor> {
    return this.api.json({ method: 'POST', path: '/api/v1/monitors', json: input });
  }

  /** Every monitor by name, or those of one deployment. */
  async list(opts: { deployment?: string | undefined } = {}): Promise<Monitor[]> {
    return (
      await this.api.json<{ monitors: Monitor[] }>({
        method: 'GET',
        path: '/api/v1/monitors',
        query: { deployment: opts.deployment },
      })
    ).monitors;
  }

  get(name: string): Promise<Monitor> {
    return this.api.json({ method: 'GET', path: this.base(name) });
  }

  /** Replaces a monitor's spec (fields not given take their defaults); baselines rebuild on the next run. */
  update(name: string, input: MonitorInput & { enabled?: boolean | undefined }): Promise<Monitor> {
    return this.api.json({ method: 'PUT', path: this.base(name), json: input });
  }

  /** Deletes a monitor with its results; its alerts stay as history. */
  async delete(name: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: this.base(name) });
  }

  /** Evaluates the monitor over an event-time range now (default: everything the log holds). */
  run(name: string, r: TimeRange = {}): Promise<MonitorRunResult> {
    return this.api.json({ method: 'POST', path: `${this.base(name)}/runs`, json: range(r) });
  }

  /** The monitor's evaluation runs, newest first. */
  async runs(name: string, opts: { limit?: number | undefined } = {}): Promise<MonitorRun[]> {
    return (
      await this.api.json<{ runs: MonitorRun[] }>({
        method: 'GET',
        path: `${this.base(name)}/runs`,
        query: { limit: opts.limit },
      })
    ).runs;
  }

  /** Stored window results overlapping a range, by route then window start. */
  async results(
    name: string,
    opts: TimeRange & { route?: string | undefined } = {},
  ): Promise<WindowResult[]> {
    return (
      await this.api.json<{ results: WindowResult[] }>({
        method: 'GET',
        path: `${this.base(name)}/results`,
        query: { ...range(opts), route: opts.route },
      })
    ).results;
  }

  /** The report over a range (default: every stored window) as data. */
  report(name: string, r: TimeRange = {}): Promise<MonitorReport> {
    return this.api.json({ method: 'GET', path: `${this.base(name)}/report`, query: range(r) });
  }

  /** The same report as a self-contained HTML page. */
  async reportHtml(name: string, r: TimeRange = {}): Promise<string> {
    return text(
      await this.api.stream({
        method: 'GET',
        path: `${this.base(name)}/report`,
        query: { ...range(r), format: 'html' },
      }),
    );
  }

  /** Alerts, newest opening first. */
  async alerts(
    opts: {
      monitor?: string | undefined;
      deployment?: string | undefined;
      status?: AlertStatus | undefined;
      limit?: number | undefined;
    } = {},
  ): Promise<Alert[]> {
    return (
      await this.api.json<{ alerts: Alert[] }>({ method: 'GET', path: '/api/v1/alerts', query: { ...opts } })
    ).alerts;
  }

  /** Alert events with an id above `after`, oldest first: the feed a pipeline trigger follows. */
  async events(
    opts: {
      after?: number | undefined;
      monitor?: string | undefined;
      deployment?: string | undefined;
      limit?: number | undefined;
    } = {},
  ): Promise<AlertEvent[]> {
    return (
      await this.api.json<{ events: AlertEvent[] }>({
        method: 'GET',
        path: '/api/v1/alert-events',
        query: { ...opts },
      })
    ).events;
  }
}
