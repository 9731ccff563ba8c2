import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { z } from 'zod';
import type { Role } from '../auth/roles.js';
import { KeelError } from '../core/errors.js';

/** What a handler receives: parsed, typed inputs plus who is calling. */
export interface Call<Q, B, P> {
  query: Q;
  body: B;
  params: P;
  actor: string;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType> {
  method: HTTPMethods | HTTPMethods[];
  url: string | string[];
  /** Least role allowed to call it (GET-style reads are `viewer`). */
  role: Role;
  summary: string;
  tags?: string[];
  query?: Q;
  body?: B;
  params?: P;
  response?: z.ZodType;
  /** Hide from the OpenAPI document (MLflow compatibility routes document themselves upstream). */
  hidden?: boolean;
  handler: (call: Call<z.infer<Q>, z.infer<B>, z.infer<P>>) => Promise<unknown>;
}

/** How a zod issue path is named in messages: `metrics[0].value`. */
export const fieldName = (path: PropertyKey[]): string =>
  path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );

/** Turns the first zod issue into a typed error naming the field, in MLflow's wording. */
export function schemaError(error: z.ZodError, input: unknown): KeelError {
  const issue = error.issues[0]!;
  const field = fieldName(issue.path);
  let value: unknown = input;
  for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
  // Any issue on an absent value means it is missing (int64/double fields are unions, whose
  // issue code is invalid_union rather than invalid_type).
  if (value === undefined) {
    return new KeelError('INVALID_PARAMETER_VALUE', `Missing value for required parameter '${field}'`, {
      field,
    });
  }
  const shown = JSON.stringify(value) ?? String(value);
  return new KeelError(
    'INVALID_PARAMETER_VALUE',
    `Invalid value ${shown.length > 100 ? `${shown.slice(0, 100)}…` : shown} for parameter '${field}' supplied: ${issue.message}`,
    { field },
  );
}

function parse<T extends z.ZodType>(schema: T | undefined, input: unknown): z.infer<T> {
  if (!schema) return undefined as z.infer<T>;
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw schemaError(r.error, input ?? {});
  return r.data;
}

const toJsonSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

/**
 * Registers a route whose inputs are parsed by zod schemas at the edge. The same schemas,
 * converted to JSON Schema, describe the route in the OpenAPI document; Fastify's own validator
 * is off (app.ts) so every validation error has one shape.
 */
export function route<
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  P extends z.ZodType = z.ZodUndefined,
>(app: FastifyInstance, spec: RouteSpec<Q, B, P>): void {
  const urls = Array.isArray(spec.url) ? spec.url : [spec.url];
  urls.forEach((url, i) => {
    app.route({
      method: spec.method,
      url,
      config: { role: spec.role },
      schema: {
        summary: spec.summary,
        ...(spec.tags ? { tags: spec.tags } : {}),
        ...(spec.hidden || i > 0 ? { hide: true } : {}),
        ...(spec.query ? { querystring: toJsonSchema(spec.query) } : {}),
        ...(spec.body ? { body: toJsonSchema(spec.body) } : {}),
        ...(spec.params ? { params: toJsonSchema(spec.params) } : {}),
        ...(spec.response ? { response: { 200: toJsonSchema(spec.response) } } : {}),
      },
      handler: async (req, reply) => {
        const call = {
          query: parse(spec.query, req.query),
          body: parse(spec.body, req.body),
          params: parse(spec.params, req.params),
          actor: req.actor,
          req,
          reply,
        };
        return spec.handler(call);
      },
    });
  });
}
