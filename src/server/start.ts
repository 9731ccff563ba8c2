import type { FastifyInstance } from 'fastify';
import { anyActiveToken } from '../auth/tokens.js';
import { type Context, closeContext, openContext } from '../context.js';
import type { ServerConfig } from '../core/config.js';
import { KeelError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { buildApp } from './app.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || host.startsWith('127.');

export interface RunningServer {
  app: FastifyInstance;
  ctx: Context;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `keel server`: opens storage, refuses an open network listener without tokens (unless
 * --insecure), and listens. Local mode (no tokens, loopback) is allowed with a warning.
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const ctx = await openContext(config, { logger });
  try {
    const loopback = isLoopback(config.host);
    const hasTokens = await anyActiveToken(ctx);
    if (!hasTokens && !loopback && !config.insecure) {
      throw new KeelError(
        'INVALID_STATE',
        `Refusing to listen on ${config.host} without API tokens: create one with \`keel token create --name admin --role admin\`, or pass --insecure`,
      );
    }
    if (!hasTokens) {
      logger.warn(
        loopback
          ? 'no API tokens exist: accepting unauthenticated requests on loopback (local mode) until one is created'
          : 'no API tokens exist and --insecure is set: accepting unauthenticated requests from the network',
      );
    }
    const app = await buildApp(ctx, {
      allowLocal: loopback || config.insecure,
      bodyLimit: config.bodyLimit,
      logRequests: false,
      serving: 'eager',
      monitorIntervalMs: config.scheduleIntervalMs,
      triggerIntervalMs: config.scheduleIntervalMs,
      rolloutIntervalMs: config.scheduleIntervalMs,
      ...(config.logIntervalMs !== undefined
        ? { logIntervals: { profileMs: config.logIntervalMs, segmentMs: config.logIntervalMs } }
        : {}),
      pipelineWorker: config.workers > 0 ? { concurrency: config.workers } : false,
    });
    const address = await app.listen({ host: config.host, port: config.port });
    logger.info(
      { address, database: ctx.store.adapter.dialect, artifacts: ctx.blobs.location },
      'keel server listening',
    );
    return {
      app,
      ctx,
      url: address,
      close: async () => {
        await app.close();
        await closeContext(ctx);
      },
    };
  } catch (e) {
    await closeContext(ctx);
    throw e;
  }
}
