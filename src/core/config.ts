import path from 'node:path';
import { z } from 'zod';
import { KeelError } from './errors.js';

/**
 * Configuration, parsed once at the edge (CLI flags + environment) and passed down.
 * Nothing below src/cli or src/server reads process.env.
 */
export const S3LocationSchema = z.object({
  bucket: z.string().min(1),
  prefix: z.string(),
  endpoint: z.string().url().optional(),
  region: z.string().min(1),
  forcePathStyle: z.boolean(),
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
  sessionToken: z.string().optional(),
});
export type S3Location = z.infer<typeof S3LocationSchema>;

export type ArtifactsConfig = { kind: 'fs'; root: string } | ({ kind: 's3' } & S3Location);

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string; schema?: string };

export interface StorageConfig {
  dataDir: string;
  database: DatabaseConfig;
  artifacts: ArtifactsConfig;
}

export interface ServerConfig extends StorageConfig {
  host: string;
  port: number;
  insecure: boolean;
  logLevel: string;
  /** Largest accepted request body for JSON routes, in bytes. */
  bodyLimit: number;
  /** How often monitors, pipeline triggers and rollouts look for new events (ms). */
  scheduleIntervalMs: number;
  /** Pipeline steps this process runs at once (0: none; `keel worker` runs them elsewhere). */
  workers: number;
  /** How often the prediction log writes window profiles and sampled rows (ms); unset: 5 s and 30 s. */
  logIntervalMs?: number;
}

const EnvSchema = z.object({
  KEEL_DATA_DIR: z.string().min(1).optional(),
  KEEL_DATABASE_URL: z.string().min(1).optional(),
  KEEL_ARTIFACTS: z.string().min(1).optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_S3_FORCE_PATH_STYLE: z.enum(['true', 'false', '1', '0']).optional(),
});
export type Env = Record<string, string | undefined>;

const configError = (message: string): KeelError => new KeelError('INVALID_PARAMETER_VALUE', message);

/** Parses `KEEL_DATABASE_URL`: a postgres:// URL, a sqlite:// path, or (unset) the data dir's keel.db. */
export function parseDatabaseUrl(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'keel.db') };
  if (/^postgres(ql)?:\/\//.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw configError(`KEEL_DATABASE_URL is not a valid URL: ${url}`);
    }
    const schema = u.searchParams.get('schema') ?? undefined;
    // It becomes part of the connection's search_path: a plain identifier only.
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw configError(`KEEL_DATABASE_URL schema '${schema}' must be a lowercase SQL identifier`);
    }
    u.searchParams.delete('schema');
    return schema ? { kind: 'postgres', url: u.toString(), schema } : { kind: 'postgres', url: u.toString() };
  }
  if (url.startsWith('sqlite://'))
    return { kind: 'sqlite', file: path.resolve(url.slice('sqlite://'.length)) };
  throw configError(
    `KEEL_DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got "${url}")`,
  );
}

/** Parses `KEEL_ARTIFACTS`: a folder path (default `<data-dir>/artifacts`) or `s3://bucket/prefix`. */
export function parseArtifacts(value: string | undefined, dataDir: string, env: Env): ArtifactsConfig {
  if (!value) return { kind: 'fs', root: path.join(dataDir, 'artifacts') };
  if (value.startsWith('s3://')) {
    const rest = value.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!bucket) throw configError(`KEEL_ARTIFACTS has no bucket: ${value}`);
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    const forcePath = env.AWS_S3_FORCE_PATH_STYLE;
    return {
      kind: 's3',
      bucket,
      prefix,
      ...(endpoint ? { endpoint } : {}),
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // Local S3-protocol servers (MinIO, s3rver, Ceph) want path-style addressing.
      forcePathStyle: forcePath ? forcePath === 'true' || forcePath === '1' : Boolean(endpoint),
      ...(env.AWS_ACCESS_KEY_ID ? { accessKeyId: env.AWS_ACCESS_KEY_ID } : {}),
      ...(env.AWS_SECRET_ACCESS_KEY ? { secretAccessKey: env.AWS_SECRET_ACCESS_KEY } : {}),
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  if (value.includes('://'))
    throw configError(`KEEL_ARTIFACTS must be a folder path or s3://bucket/prefix (got "${value}")`);
  return { kind: 'fs', root: path.resolve(value) };
}

/** Storage config from a data dir (flag or env) and the environment. */
export function storageConfigFrom(opts: { dataDir?: string | undefined }, env: Env): StorageConfig {
  // An empty variable (`KEEL_URL= keel …`) means unset, as shells and CI systems use it.
  const rawEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(rawEnv);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(`environment variable ${String(issue?.path[0])}: ${issue?.message}`);
  }
  const keel = parsed.data;
  const dataDir = path.resolve(opts.dataDir ?? keel.KEEL_DATA_DIR ?? '.keel');
  return {
    dataDir,
    database: parseDatabaseUrl(keel.KEEL_DATABASE_URL, dataDir),
    artifacts: parseArtifacts(keel.KEEL_ARTIFACTS, dataDir, rawEnv),
  };
}

const ServerFlagsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(7070),
  insecure: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  bodyLimitMb: z.coerce.number().positive().default(16),
  scheduleInterval: z.coerce.number().int().min(100).default(10_000),
  workers: z.coerce.number().int().min(0).default(2),
  logInterval: z.coerce.number().int().min(100).optional(),
});

/** Full server config from CLI flags and the environment. */
export function serverConfigFrom(flags: Record<string, unknown>, env: Env): ServerConfig {
  const parsed = ServerFlagsSchema.safeParse(flags);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(`--${String(issue?.path[0])}: ${issue?.message}`);
  }
  const f = parsed.data;
  return {
    ...storageConfigFrom({ dataDir: flags.dataDir as string | undefined }, env),
    host: f.host,
    port: f.port,
    insecure: f.insecure,
    logLevel: f.logLevel,
    bodyLimit: Math.round(f.bodyLimitMb * 1024 * 1024),
    scheduleIntervalMs: f.scheduleInterval,
    workers: f.workers,
    ...(f.logInterval !== undefined ? { logIntervalMs: f.logInterval } : {}),
  };
}
