import { destination, type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs to stderr; use level `silent` in tests and in CLI local mode. */
export const createLogger = (level = 'info'): Logger =>
  pino({ level, base: { svc: 'keel' } }, destination(2));
