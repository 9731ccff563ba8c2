/**
 * Finding and checking the ONNX file of a new model version: in the blob store by hash, or among a
 * run's artifacts by the source URI MLflow clients send. Checking means decoding it (is it ONNX?)
 * and loading it in onnxruntime (can it run?), before anything is written.
 */
import type { Context } from '../context.js';
import { invalidParam, KeelError } from '../core/errors.js';
import { inspectOnnx } from '../models/onnx/read.js';
import { loadModel } from '../models/onnx/runtime.js';
import type { RunsTable } from '../store/schema.js';
import { safeArtifactPath } from '../tracking/artifacts.js';
import { requireRunRow } from '../tracking/run-read.js';
import type { FeatureSchemaEntry, ModelSignature } from './types.js';

const SHA_RE = /^[0-9a-f]{64}$/;

/** The ONNX file of a version: its blob, and what it says about itself. */
export interface CheckedOnnx {
  sha256: string;
  size: number;
  signature: ModelSignature;
  /** From the model's `keel.features` metadata, when the trainer wrote it. */
  featureSchema: FeatureSchemaEntry[] | null;
}

/** Where the model of a version was looked for, for error messages. */
export interface OnnxLocation {
  /** The artifact-store path probed, e.g. `0/<run>/artifacts/model/model.onnx`. */
  path: string;
  /** The run whose artifacts hold it, if any. */
  runId: string | null;
}

/** `runs:/<run_id>/<path>` → its parts; null for any other URI. */
export function parseRunsUri(source: string): { runId: string; path: string } | null {
  const m = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(source);
  return m ? { runId: m[1]!, path: m[2] ?? '' } : null;
}

/** A run's artifact-store root (`mlflow-artifacts:/0/<id>/artifacts` → `0/<id>/artifacts`). */
function artifactRoot(run: RunsTable): string | null {
  const m = /^mlflow-artifacts:\/+(.*)$/.exec(run.artifact_uri);
  return m ? safeArtifactPath(m[1] ?? '', true) : null;
}

const join = (a: string, b: string): string => (a && b ? `${a}/${b}` : a || b);

/**
 * The artifact-store path a version's source points at, or null when it points outside Keel's
 * artifact store (s3://…, models:/…): then there is no ONNX file to check.
 */
export function sourceArtifactPath(
  source: string,
  run: RunsTable | null,
  artifactPath?: string,
): string | null {
  const runs = parseRunsUri(source);
  if (runs) {
    const root = run ? artifactRoot(run) : null;
    return root === null ? null : join(root, safeArtifactPath(runs.path, true));
  }
  const proxied = /^mlflow-artifacts:\/+(.*)$/.exec(source);
  if (proxied) return safeArtifactPath(proxied[1] ?? '', true);
  if (source === '' && run) {
    const root = artifactRoot(run);
    return root === null ? null : join(root, safeArtifactPath(artifactPath ?? 'model', true));
  }
  return null;
}

/** The `.onnx` file at a path: the path itself when it names one, else `<path>/model.onnx`. */
export async function findOnnxArtifact(
  ctx: Context,
  path: string,
): Promise<{ path: string; sha256: string; size: number } | null> {
  const file = path.endsWith('.onnx') ? path : join(path, 'model.onnx');
  const row = await ctx.store.db
    .selectFrom('artifact_files')
    .select(['sha256', 'size'])
    .where('path', '=', file)
    .executeTakeFirst();
  return row ? { path: file, sha256: row.sha256, size: row.size } : null;
}

/** The bytes of a stored blob; INVALID_PARAMETER_VALUE when it is not stored. */
export async function readBlob(ctx: Context, sha256: string): Promise<Uint8Array> {
  if (!SHA_RE.test(sha256)) throw invalidParam('onnxSha256 must be 64 lowercase hex digits', 'onnx_sha256');
  const head = await ctx.blobs.head(sha256);
  if (!head) {
    throw invalidParam(
      `blob ${sha256} is not in the artifact store; upload the ONNX file first`,
      'onnx_sha256',
    );
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of await ctx.blobs.get(sha256)) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks);
}

/**
 * Checks that `bytes` is an ONNX model onnxruntime can load, and reads its signature and feature
 * schema. Not ONNX, or an operator onnxruntime lacks, is INVALID_PARAMETER_VALUE naming the problem.
 */
export async function checkOnnx(
  bytes: Uint8Array,
  what: string,
): Promise<Omit<CheckedOnnx, 'sha256' | 'size'>> {
  // The same typed error, saying which file it is about.
  const prefix = (e: unknown) =>
    e instanceof KeelError ? new KeelError(e.code, `${what}: ${e.message}`, e.details) : e;
  let info: ReturnType<typeof inspectOnnx>;
  try {
    info = inspectOnnx(bytes);
  } catch (e) {
    throw prefix(e);
  }
  try {
    const session = await loadModel(bytes);
    await session.release();
  } catch (e) {
    throw prefix(e);
  }
  const signature: ModelSignature = {
    inputs: info.inputs,
    outputs: info.outputs,
    opsets: info.opsetImports,
    producerName: info.producerName,
    producerVersion: info.producerVersion,
    irVersion: info.irVersion,
    operators: info.operators,
    metadata: info.metadataProps,
  };
  const features = info.metadataProps['keel.features'];
  return { signature, featureSchema: features === undefined ? null : featuresFromMetadata(features, what) };
}

/** Maps the trainer's `keel.features` metadata ({name, kind, sourceType, categories?, min?, max?}). */
export function featuresFromMetadata(json: string, what: string): FeatureSchemaEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw invalidParam(`${what}: metadata keel.features is not valid JSON: ${(e as Error).message}`, 'file');
  }
  if (!Array.isArray(parsed))
    throw invalidParam(`${what}: metadata keel.features is not a JSON array`, 'file');
  const out = parsed.map((f: unknown, i): FeatureSchemaEntry => {
    const o = (f ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') {
      throw invalidParam(`${what}: metadata keel.features[${i}] has no name`, 'file');
    }
    const type =
      typeof o.sourceType === 'string' ? o.sourceType : typeof o.kind === 'string' ? o.kind : 'unknown';
    return {
      name: o.name,
      type,
      ...(typeof o.nullable === 'boolean' ? { nullable: o.nullable } : {}),
      ...(typeof o.min === 'number' ? { min: o.min } : {}),
      ...(typeof o.max === 'number' ? { max: o.max } : {}),
      ...(Array.isArray(o.categories) ? { categories: o.categories.map(String) } : {}),
    };
  });
  return validateFeatureSchema(out, 'file');
}

/** Feature names unique and non-empty, ranges ordered. */
export function validateFeatureSchema(
  fs: FeatureSchemaEntry[],
  field = 'featureSchema',
): FeatureSchemaEntry[] {
  const seen = new Set<string>();
  for (const [i, f] of fs.entries()) {
    if (!f.name) throw invalidParam(`${field}[${i}]: a feature needs a name`, field);
    if (seen.has(f.name)) throw invalidParam(`${field}: feature '${f.name}' is listed twice`, field);
    seen.add(f.name);
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) {
      throw invalidParam(`${field}: feature '${f.name}' has min ${f.min} > max ${f.max}`, field);
    }
  }
  return fs;
}

/**
 * Finds and checks the ONNX file for a new version: by hash, or among the run's artifacts at the
 * source path. Null when the source points at no `.onnx` file (allowed for MLflow clients only).
 */
export async function resolveOnnx(
  ctx: Context,
  input: { onnxSha256?: string | undefined; source: string; artifactPath?: string | undefined },
  run: RunsTable | null,
): Promise<(CheckedOnnx & { location: OnnxLocation | null }) | { missing: OnnxLocation | null }> {
  if (input.onnxSha256 !== undefined) {
    const bytes = await readBlob(ctx, input.onnxSha256);
    const checked = await checkOnnx(bytes, `blob ${input.onnxSha256.slice(0, 12)}`);
    return { sha256: input.onnxSha256, size: bytes.length, ...checked, location: null };
  }
  const path = sourceArtifactPath(input.source, run, input.artifactPath);
  if (path === null) return { missing: null };
  const found = await findOnnxArtifact(ctx, path);
  const location = {
    path: path.endsWith('.onnx') ? path : join(path, 'model.onnx'),
    runId: run?.run_id ?? null,
  };
  if (!found) return { missing: location };
  const bytes = await readBlob(ctx, found.sha256);
  const checked = await checkOnnx(bytes, found.path);
  return { sha256: found.sha256, size: found.size, ...checked, location };
}

/** Loads the run a version names, or its `runs:/` source names. */
export async function runOfSource(
  ctx: Context,
  runId: string | undefined,
  source: string,
): Promise<RunsTable | null> {
  const fromUri = parseRunsUri(source)?.runId;
  if (runId && fromUri && runId !== fromUri) {
    throw invalidParam(`source ${source} names run ${fromUri}, but run_id is ${runId}`, 'run_id');
  }
  const id = runId || fromUri;
  return id ? requireRunRow(ctx.store.db, id) : null;
}
