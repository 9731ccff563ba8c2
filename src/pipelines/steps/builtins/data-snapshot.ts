/**
 * `uses: data.snapshot`: versions data as a dataset version, content-addressed (the same data gives
 * the same version). From files (`path`, like `keel data add`), or from a deployment: its sampled
 * prediction inputs joined with the labels received as feedback — retraining on recent labelled data.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { invalidParam } from '../../../core/errors.js';
import { validateDatasetName } from '../../../data/versions.js';
import { parseDuration } from '../../../monitoring/window.js';
import { type DatasetVersion, type Keel, KeelApiError } from '../../../sdk/index.js';
import type { Builtin, BuiltinContext, BuiltinResult } from '../types.js';
import { prepareDatasetVersion, storeDatasetVersion } from './add-version.js';
import { type DeploymentSnapshot, deploymentSnapshot, snapshotFingerprint } from './deployment-sample.js';
import { provenanceNote } from './provenance.js';
import { boolean, names, parseWith, text } from './with.js';

const Schema = z.strictObject({
  /** The dataset the version is added to. */
  name: text,
  /** Files or folders, relative to the working directory. */
  path: names.optional(),
  deployment: text.optional(),
  window: text.optional(),
  labels_only: boolean.optional(),
  label_column: text.optional(),
  holdout: z.number().gt(0).lt(1).optional(),
  message: z.string().optional(),
});

export type DataSnapshotWith = {
  name: string;
  path?: string[] | undefined;
  deployment?: string | undefined;
  /** e.g. `30d`: event time back from the newest labelled prediction (default: everything sampled). */
  window?: string | undefined;
  /** Default true. */
  labels_only?: boolean | undefined;
  /** Default: the target of the model the deployment serves. */
  label_column?: string | undefined;
  /**
   * A share of the rows (0–1) kept out as `<name>-holdout`, for a gate to judge the retrained model
   * on rows it never saw. Chosen by a hash of each row's content: the same rows split the same way.
   */
  holdout?: number | undefined;
  message?: string | undefined;
};

type Ctx = BuiltinContext & { with: DataSnapshotWith };

/** The file a deployment snapshot is stored as: fixed, so identical rows give an identical version. */
const SNAPSHOT_FILE = 'predictions.jsonl';
const DEPLOYMENT_ONLY = ['window', 'labels_only', 'label_column', 'holdout'] as const;

export const holdoutName = (name: string): string => `${name}-holdout`;

/** Whether a row falls in the holdout share: a hash of its content, so stable across reruns. */
const inHoldout = (row: Record<string, unknown>, share: number): boolean =>
  createHash('sha256').update(JSON.stringify(row)).digest().readUInt32BE(0) / 2 ** 32 < share;

const iso = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());

// Whether this run created the version is logged, not output: outputs are part of downstream
// steps' cache keys, and the same data must give the same keys whichever run first versioned it.
function result(v: DatasetVersion, holdout?: DatasetVersion): BuiltinResult {
  return {
    outputs: {
      name: v.name,
      version: v.version,
      ref: v.ref,
      rows: v.rows,
      ...(holdout ? { holdout_ref: holdout.ref, holdout_rows: holdout.rows } : {}),
    },
    metrics: { rows: v.rows, ...(holdout ? { holdout_rows: holdout.rows } : {}) },
  };
}

/** The version an earlier attempt of this step recorded (its message carries the provenance). */
async function recordedBefore(keel: Keel, b: Ctx, name = b.with.name): Promise<DatasetVersion | undefined> {
  const note = provenanceNote(b);
  try {
    return (await keel.datasets.list(name)).find((v) => v.message.includes(note));
  } catch (e) {
    if (e instanceof KeelApiError && e.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw e;
  }
}

/** The column labels go in: the served model's target unless given. */
async function labelColumnOf(keel: Keel, w: DataSnapshotWith): Promise<string> {
  if (w.label_column) return w.label_column;
  const d = await keel.deployments.get(w.deployment!);
  const v = await keel.models.getVersion(d.spec.model, d.spec.primary);
  const target = v.params['target'] ?? v.signature?.metadata['keel.target'];
  if (!target)
    throw invalidParam(
      `data.snapshot: ${v.name}@${v.version}, served by ${w.deployment}, does not record its target column: give with.label_column`,
      'with.label_column',
    );
  return target;
}

/** Writes the rows as JSON Lines (every column in every row, so the reader sees them all). */
function writeJsonl(file: string, snap: DeploymentSnapshot): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const r of snap.rows) {
      const ordered = Object.fromEntries(snap.columns.map((c) => [c, r[c] ?? null]));
      fs.writeSync(fd, `${JSON.stringify(ordered)}\n`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function fromDeployment(b: Ctx, message: (what: string) => string) {
  const w = b.with;
  const labelsOnly = w.labels_only ?? true;
  const labelColumn = await labelColumnOf(b.keel, w);
  const snap = await deploymentSnapshot(b.ctx, {
    deployment: w.deployment!,
    windowMs: w.window === undefined ? undefined : parseDuration(w.window, 'with.window'),
    labelsOnly,
    labelColumn,
  });
  b.log(
    `deployment ${w.deployment}: ${snap.sampled} sampled rows${w.window ? ` in the last ${w.window}` : ''}, ` +
      `${snap.labelled} labelled; event time ${iso(snap.from)} to ${iso(snap.to)}`,
  );
  if (snap.rows.length === 0)
    throw invalidParam(
      `data.snapshot: deployment ${w.deployment} has no ${labelsOnly ? 'labelled ' : ''}sampled predictions` +
        `${w.window ? ` in the last ${w.window}` : ''} to snapshot`,
      'with.deployment',
    );
  b.signal.throwIfAborted();
  const share = w.holdout;
  const parts: { name: string; rows: Record<string, unknown>[]; what: string }[] = share
    ? [
        { name: w.name, rows: snap.rows.filter((r) => !inHoldout(r, share)), what: 'training share of' },
        {
          name: holdoutName(w.name),
          rows: snap.rows.filter((r) => inHoldout(r, share)),
          what: `${share} holdout of`,
        },
      ]
    : [{ name: w.name, rows: snap.rows, what: '' }];
  for (const p of parts)
    if (p.rows.length === 0)
      throw invalidParam(
        `data.snapshot: the ${p.what.replace(' of', '')} ${snap.rows.length} rows is empty: change with.holdout or widen with.window`,
        'with.holdout',
      );
  const stored = [];
  for (const p of parts) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-snapshot-'));
    try {
      const file = path.join(dir, SNAPSHOT_FILE);
      writeJsonl(file, { ...snap, rows: p.rows });
      const prepared = await prepareDatasetVersion(b.keel, [file], { name: p.name });
      const what =
        `${p.what ? `${p.what} ` : ''}${snap.rows.length} ${labelsOnly ? 'labelled ' : ''}rows sampled from deployment ${w.deployment}` +
        ` (event time ${iso(snap.from)} to ${iso(snap.to)}, labels in '${labelColumn}')`;
      stored.push(await storeDatasetVersion(b.keel, p.name, prepared, { message: message(what) }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ...stored[0]!, holdout: stored[1]?.version };
}

async function fromFiles(b: Ctx, message: (what: string) => string) {
  // Relative to the step's work dir, where its deps are: declare the files in the step's `deps`.
  const paths = b.with.path!.map((p) => path.resolve(b.workDir, p));
  const prepared = await prepareDatasetVersion(b.keel, paths, { name: b.with.name }).catch((e: unknown) => {
    const m = (e as { details?: { field?: string } }).details;
    throw m?.field === 'path'
      ? invalidParam(`data.snapshot: with.path: ${(e as Error).message}`, 'with.path')
      : e;
  });
  if (prepared.badRows > 0) b.log(`${prepared.badRows} malformed row(s) skipped and counted in the profile`);
  return storeDatasetVersion(b.keel, b.with.name, prepared, {
    message: message(`files ${b.with.path!.join(', ')}`),
  });
}

export const dataSnapshotStep: Builtin<DataSnapshotWith> = {
  name: 'data.snapshot',
  description: "Version files, or a deployment's labelled predictions, as a dataset version",

  parse(withArgs, opts) {
    const { value, pending } = parseWith('data.snapshot', Schema, withArgs, opts);
    const given = (k: keyof typeof value) => value[k] !== undefined || pending.has(k);
    if (given('path') === given('deployment'))
      throw invalidParam(
        'data.snapshot: give exactly one of with.path (files) or with.deployment (its labelled predictions)',
        given('path') ? 'with.deployment' : 'with.path',
      );
    if (given('path')) {
      const extra = DEPLOYMENT_ONLY.find((k) => given(k));
      if (extra)
        throw invalidParam(`data.snapshot: with.${extra} applies only with with.deployment`, `with.${extra}`);
    }
    try {
      if (!pending.has('name')) validateDatasetName(value.name as string);
    } catch (e) {
      throw invalidParam(`data.snapshot: with.name: ${(e as Error).message}`, 'with.name');
    }
    if (value.window !== undefined && !pending.has('window'))
      parseDuration(value.window as string, 'with.window');
    return value as DataSnapshotWith;
  },

  async fingerprint(b) {
    if (b.with.deployment) return snapshotFingerprint(b.ctx, b.with.deployment);
    // Files are hashed when the step runs; the version is content-addressed, so rerunning is cheap.
    return false;
  },

  async run(b) {
    const before = await recordedBefore(b.keel, b);
    const holdoutBefore = b.with.holdout
      ? await recordedBefore(b.keel, b, holdoutName(b.with.name))
      : undefined;
    if (before && (!b.with.holdout || holdoutBefore)) {
      b.log(`an earlier attempt already recorded ${before.ref}: reusing it`);
      return result(before, holdoutBefore);
    }
    const note = provenanceNote(b);
    const message = (what: string) => [b.with.message, what, note].filter(Boolean).join(' — ');
    const stored = b.with.deployment ? await fromDeployment(b, message) : await fromFiles(b, message);
    const v = stored.version;
    b.log(
      stored.created
        ? `${v.ref} created: ${v.rows} rows, ${stored.uploaded} new blob(s) stored`
        : `unchanged: identical content is already ${v.ref}`,
    );
    const holdout: DatasetVersion | undefined =
      'holdout' in stored ? (stored.holdout as DatasetVersion | undefined) : undefined;
    if (holdout) b.log(`holdout ${holdout.ref}: ${holdout.rows} rows`);
    return result(v, holdout);
  },
};
