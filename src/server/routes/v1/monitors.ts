import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { backtest } from '../../../monitoring/backtest.js';
import {
  createMonitor,
  deleteMonitor,
  getMonitor,
  listMonitors,
  updateMonitor,
} from '../../../monitoring/monitors.js';
import { buildReport, listAlerts, listEvents, listResults, listRuns } from '../../../monitoring/queries.js';
import { monitorReportHtml } from '../../../monitoring/report/html.js';
import { runMonitor } from '../../../monitoring/runs.js';
import { route } from '../../route.js';
import { Empty } from './wire.js';

const tags = ['monitoring'];
const Name = z.object({ name: z.string() });
const Time = z.union([z.number().int(), z.string()]).transform((v, c) => {
  if (typeof v === 'number') return v;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) {
    c.addIssue({ code: 'custom', message: `'${v}' is not an ISO-8601 time or epoch milliseconds` });
    return z.NEVER;
  }
  return t;
});
const Override = z.object({ method: z.string().optional(), threshold: z.number().optional() }).strict();
const Rule = z
  .object({
    name: z.string().optional(),
    when: z.string(),
    for: z.number().int().optional(),
    cooldown: z.string().optional(),
    severity: z.enum(['info', 'warning', 'critical']).optional(),
    channels: z.array(z.string()).optional(),
    routes: z.array(z.string()).nullable().optional(),
  })
  .strict();
const Spec = z
  .object({
    window: z.string().optional(),
    reference: z.string().optional(),
    delay: z.string().optional(),
    drift: z
      .object({
        enabled: z.boolean().optional(),
        share: z.number().optional(),
        columns: z.record(z.string(), Override).optional(),
        exclude: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    predictionDrift: z.boolean().optional(),
    quality: z.boolean().optional(),
    performance: z.boolean().optional(),
    estimation: z.boolean().optional(),
    positiveClass: z.union([z.string(), z.number()]).optional(),
    rules: z.array(Rule).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
const NewMonitor = Spec.extend({ name: z.string().optional(), deployment: z.string() }).strict();
const Range = z.object({ from: Time.optional(), to: Time.optional() });

type SpecBody = z.infer<typeof Spec>;
// zod leaves the override method a string; the domain checks it against the drift tests.
const input = (b: SpecBody) => b as Parameters<typeof updateMonitor>[2];

/** Monitors, their results, runs and reports under /api/v1/monitors; alerts and the alert event feed. */
export function registerMonitorRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/monitors',
    role: 'viewer',
    summary: 'List monitors, optionally of one deployment',
    tags,
    query: z.object({ deployment: z.string().optional() }),
    handler: async ({ query }) => ({ monitors: await listMonitors(ctx, query.deployment) }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/monitors',
    role: 'editor',
    summary: 'Create a monitor: window, reference, checks and alert rules, validated against the deployment',
    tags,
    body: NewMonitor,
    handler: async ({ body, actor }) =>
      createMonitor(ctx, body as Parameters<typeof createMonitor>[1], actor),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/monitors/backtest',
    role: 'viewer',
    summary:
      'Replay a labelled dataset through a monitor on event time (nothing is written): when would alerts fire?',
    tags,
    body: z
      .object({
        deployment: z.string(),
        data: z.string(),
        timestampColumn: z.string(),
        labelColumn: z.string().optional(),
        monitor: z.string().optional(),
        window: z.string().optional(),
        rules: z.array(Rule).optional(),
      })
      .strict(),
    handler: async ({ body }) => backtest(ctx, body),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/monitors/:name',
    role: 'viewer',
    summary: 'A monitor and its spec',
    tags,
    params: Name,
    handler: async ({ params }) => getMonitor(ctx, params.name),
  });
  route(app, {
    method: 'PUT',
    url: '/api/v1/monitors/:name',
    role: 'editor',
    summary: "Replace a monitor's spec (baselines are rebuilt on the next run)",
    tags,
    params: Name,
    body: Spec,
    handler: async ({ params, body, actor }) => updateMonitor(ctx, params.name, input(body), actor),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/monitors/:name',
    role: 'editor',
    summary: 'Delete a monitor with its results (alerts stay as history)',
    tags,
    params: Name,
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteMonitor(ctx, params.name, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/monitors/:name/runs',
    role: 'editor',
    summary: 'Evaluate a monitor over an event-time range now (re-running a window replaces its result)',
    tags,
    params: Name,
    body: Range,
    handler: async ({ params, body, actor }) => {
      const r = await runMonitor(
        ctx,
        params.name,
        { from: body.from, to: body.to, trigger: 'manual' },
        actor,
      );
      return {
        id: r.id,
        monitor: r.monitor,
        from: r.from,
        to: r.to,
        windows: r.windows.length,
        events: r.events,
      };
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/monitors/:name/runs',
    role: 'viewer',
    summary: "A monitor's evaluation runs, newest first",
    tags,
    params: Name,
    query: z.object({ limit: z.coerce.number().int().optional() }),
    handler: async ({ params, query }) => ({ runs: await listRuns(ctx, params.name, query.limit) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/monitors/:name/results',
    role: 'viewer',
    summary: 'Window results (drift, quality, performance) in an event-time range',
    tags,
    params: Name,
    query: Range.extend({ route: z.string().optional() }),
    handler: async ({ params, query }) => ({ results: await listResults(ctx, params.name, query) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/monitors/:name/report',
    role: 'viewer',
    summary: 'The report over a range as JSON, or a self-contained HTML page with format=html',
    tags,
    params: Name,
    query: Range.extend({ format: z.enum(['json', 'html']).optional() }),
    handler: async ({ params, query, reply }) => {
      const report = await buildReport(ctx, params.name, query);
      if (query.format !== 'html') return report;
      reply.type('text/html; charset=utf-8');
      return reply.serializer((s: unknown) => String(s)).send(monitorReportHtml(report));
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/alerts',
    role: 'viewer',
    summary: 'Alerts, newest first',
    tags,
    query: z.object({
      monitor: z.string().optional(),
      deployment: z.string().optional(),
      status: z.enum(['open', 'resolved']).optional(),
      limit: z.coerce.number().int().optional(),
    }),
    handler: async ({ query }) => ({ alerts: await listAlerts(ctx, query) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/alert-events',
    role: 'viewer',
    summary: 'The alert event feed: events after an id, oldest first (what pipeline triggers follow)',
    tags,
    query: z.object({
      after: z.coerce.number().int().optional(),
      monitor: z.string().optional(),
      deployment: z.string().optional(),
      limit: z.coerce.number().int().optional(),
    }),
    handler: async ({ query }) => ({ events: await listEvents(ctx, query) }),
  });
}
