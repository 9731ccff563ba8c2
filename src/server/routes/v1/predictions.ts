import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { type FeedbackItem, recordFeedback } from '../../../serving/feedback.js';
import { listPredictions, listSegments, listWindows } from '../../../serving/log/query.js';
import { route } from '../../route.js';
import { int64 } from '../mlflow/wire.js';

const tags = ['deployments'];
const NameParam = z.object({ name: z.string().min(1) });

/** Epoch ms, or an ISO-8601 date-time. */
const Time = z.union([
  int64,
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'expected epoch milliseconds or an ISO-8601 date-time')
    .transform((s) => Date.parse(s)),
]);
const Bool = z.enum(['true', 'false']).transform((s) => s === 'true');

/**
 * A label as sent. Checked field by field by the domain (errors name the item index), so the
 * schema here only documents it.
 */
const FeedbackItemSchema = z.looseObject({
  request_id: z
    .unknown()
    .optional()
    .describe('The request id of the prediction (string); `requestId` also accepted'),
  row: z.unknown().optional().describe('Row within the request (integer, default 0)'),
  label: z.unknown().optional().describe('The observed outcome: number, string or boolean (required)'),
  timestamp: z.unknown().optional().describe('When it was observed: epoch ms or ISO-8601 (default now)'),
});
/** `[...]` or `{feedback: [...]}`; a bare array is read as the latter, so errors name `feedback`. */
const FeedbackBody = z.preprocess(
  (b) => (Array.isArray(b) ? { feedback: b } : b),
  z.object({ feedback: z.array(FeedbackItemSchema) }),
);

const Ms = z.number().int().describe('Epoch milliseconds');
const LoggedPredictionSchema = z.object({
  requestId: z.string(),
  row: z.number().int(),
  model: z.string(),
  version: z.number().int(),
  route: z.string(),
  eventTime: Ms,
  latencyUs: z.number().int(),
  prediction: z
    .record(z.string(), z.unknown())
    .describe('{label?, score?, probabilities?, value?} or {outputs}'),
  label: z.union([z.string(), z.number(), z.boolean()]).nullable(),
  labelTime: Ms.nullable(),
});
const WindowSchema = z.object({
  deployment: z.string(),
  model: z.string(),
  version: z.number().int(),
  route: z.string(),
  windowStart: Ms,
  windowMs: z.number().int(),
  rows: z.number().int(),
  profile: z.unknown().describe('DatasetProfile of the input features and prediction outputs'),
  updatedAt: Ms,
});
const SegmentSchema = z.object({
  deployment: z.string(),
  windowStart: Ms,
  windowMs: z.number().int(),
  rows: z.number().int(),
  seen: z.number().int(),
  sha256: z.string(),
  size: z.number().int(),
  updatedAt: Ms,
});

const asItem = (raw: Record<string, unknown>): FeedbackItem =>
  ({ ...raw, requestId: raw.request_id ?? raw.requestId }) as FeedbackItem;

/** The prediction log of a deployment: labels in (feedback), records, window profiles and samples out. */
export function registerPredictionLogRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/feedback',
    role: 'editor',
    summary:
      'Labels for logged predictions, [{request_id, label, timestamp?, row?}]; a later label replaces an earlier one',
    tags,
    params: NameParam,
    body: FeedbackBody,
    response: z.object({
      accepted: z.number().int(),
      matched: z.number().int(),
      unmatched: z
        .array(z.string())
        .describe('Request ids with no logged prediction yet (their labels are kept)'),
    }),
    handler: ({ params, body, actor }) => recordFeedback(ctx, params.name, body.feedback.map(asItem), actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments/:name/predictions',
    role: 'viewer',
    summary: 'Logged predictions in event-time order with their labels; page on with pageToken',
    tags,
    params: NameParam,
    query: z.object({
      from: Time.optional(),
      to: Time.optional(),
      route: z.string().optional(),
      version: int64.optional(),
      limit: int64.optional(),
      labelled: Bool.optional(),
      pageToken: z.string().optional(),
    }),
    response: z.object({
      predictions: z.array(LoggedPredictionSchema),
      nextPageToken: z.string().optional(),
    }),
    handler: ({ params, query }) => listPredictions(ctx, params.name, query),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments/:name/windows',
    role: 'viewer',
    summary: 'Per-window mergeable profiles of inputs and outputs, per version and route',
    tags,
    params: NameParam,
    query: z.object({
      from: Time.optional(),
      to: Time.optional(),
      version: int64.optional(),
      route: z.string().optional(),
      limit: int64.optional(),
    }),
    response: z.object({ windows: z.array(WindowSchema) }),
    handler: async ({ params, query }) => ({ windows: await listWindows(ctx, params.name, query) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments/:name/segments',
    role: 'viewer',
    summary: 'Sampled raw rows per window (JSON-lines blobs, fetch with GET /api/v1/blobs/{sha256})',
    tags,
    params: NameParam,
    query: z.object({ from: Time.optional(), to: Time.optional() }),
    response: z.object({ segments: z.array(SegmentSchema) }),
    handler: async ({ params, query }) => ({ segments: await listSegments(ctx, params.name, query) }),
  });
}
