import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
} from '../../../monitoring/alerts/channels.js';
import { DELIVERY_STATUSES, listDeliveries, retryDelivery } from '../../../monitoring/alerts/deliveries.js';
import { route } from '../../route.js';
import { int64 } from '../mlflow/wire.js';
import { Empty } from './wire.js';

const tags = ['alerts'];
const Ms = z.number().int().describe('Epoch milliseconds');

const ChannelSchema = z.object({
  name: z.string(),
  kind: z.enum(['webhook', 'log']),
  url: z.string().nullable(),
  secret: z.string().nullable().describe('The HMAC secret: only in the answer to create, null on reads'),
  hasSecret: z.boolean(),
  builtin: z.boolean().describe('The server log channel `log`: always there, cannot be created or deleted'),
  maxAttempts: z.number().int(),
  backoffMs: z.number().int(),
  timeoutMs: z.number().int(),
  createdAt: Ms,
  createdBy: z.string(),
});

const NewChannelSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['webhook', 'log']),
  url: z.string().optional().describe('http(s) URL the events are POSTed to (webhook)'),
  secret: z
    .string()
    .optional()
    .describe('HMAC-SHA256 key for X-Keel-Signature; default: 32 random bytes as hex'),
  maxAttempts: z.number().optional().describe('Attempts before a delivery fails (1–20, default 6)'),
  backoffMs: z
    .number()
    .optional()
    .describe('Delay before the 2nd attempt, doubling after (100–3600000, default 1000)'),
  timeoutMs: z.number().optional().describe('Timeout of one POST (100–60000, default 10000)'),
});

const DeliverySchema = z.object({
  id: z.number().int(),
  eventId: z.number().int(),
  eventKind: z.enum(['opened', 'updated', 'resolved']),
  alertId: z.number().int(),
  monitor: z.string(),
  deployment: z.string(),
  rule: z.string(),
  route: z.string(),
  channel: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int().describe('Attempts in the current round (a retry starts a new one)'),
  nextAttemptAt: Ms.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: Ms,
  updatedAt: Ms,
  history: z.array(
    z.object({
      attempt: z.number().int(),
      at: Ms,
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      durationMs: z.number().int(),
    }),
  ),
});

const NameParam = z.object({ name: z.string().min(1) });
const DeliveryIdParam = z.object({ id: int64 });

/**
 * Alert channels (where alert events go: the server log, webhooks) and the webhook delivery log.
 * Alerts and their events are listed by the monitoring routes.
 */
export function registerAlertRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/alert-channels',
    role: 'viewer',
    summary: 'Alert channels, the built-in server log channel first (secrets are never shown)',
    tags,
    response: z.object({ channels: z.array(ChannelSchema) }),
    handler: async () => ({ channels: await listChannels(ctx) }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/alert-channels',
    role: 'editor',
    summary: 'Create a webhook channel; its signing secret is returned this once',
    tags,
    body: NewChannelSchema,
    response: ChannelSchema,
    handler: ({ body, actor }) => createChannel(ctx, body, actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/alert-channels/:name',
    role: 'viewer',
    summary: 'One alert channel (secret redacted)',
    tags,
    params: NameParam,
    response: ChannelSchema,
    handler: ({ params }) => getChannel(ctx, params.name),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/alert-channels/:name',
    role: 'editor',
    summary: "Delete an alert channel; refused while a monitor's rule notifies it",
    tags,
    params: NameParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteChannel(ctx, params.name, actor);
      return {};
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/alert-deliveries',
    role: 'viewer',
    summary: 'Webhook deliveries of alert events, newest first, with every attempt',
    tags,
    query: z.object({
      monitor: z.string().optional(),
      status: z.enum(DELIVERY_STATUSES).optional(),
      eventId: int64.optional(),
      limit: int64.optional().describe('1–1000, default 50'),
    }),
    response: z.object({ deliveries: z.array(DeliverySchema) }),
    handler: async ({ query }) => ({ deliveries: await listDeliveries(ctx, query) }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/alert-deliveries/:id/retry',
    role: 'editor',
    summary: 'Queue a failed delivery again for a new round of attempts',
    tags,
    params: DeliveryIdParam,
    response: DeliverySchema,
    handler: ({ params, actor }) => retryDelivery(ctx, params.id, actor),
  });
}
