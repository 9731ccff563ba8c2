/**
 * Small real data and models for the gate suites: Agrawal loan applicants (function 2: approval
 * depends on age and salary) as dataset versions ingested like `keel data add` does, a strong GBDT
 * and a weak logistic model trained on them, registered as versions that record their training data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../../src/context.js';
import { sample } from '../../../src/data/generators/agrawal.js';
import { prepareVersion } from '../../../src/data/ingest.js';
import { createVersion, type DatasetVersion, resolveVersion } from '../../../src/data/versions.js';
import { train } from '../../../src/models/train/index.js';
import { readVersionTable } from '../../../src/monitoring/baseline/data.js';
import { setAlias } from '../../../src/registry/aliases.js';
import { createModelVersion } from '../../../src/registry/versions.js';
import { putBlob } from '../../registry/fixtures.js';

const FEATURES = ['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan'];

const band = (age: number): string => (age < 40 ? 'young' : age < 60 ? 'middle' : 'old');

/** Applicants as CSV: the features, an `age_band` column (not a feature) and the `approved` label. */
export function loansCsv(seed: number, n: number, opts: { salaryScale?: number } = {}): string {
  const rows = sample({ seed, fn: 2, labelNoise: 0.02, ...opts }, n);
  const cols = [...FEATURES, 'age_band', 'approved'];
  const lines = rows.map((r) =>
    cols
      .map((c) =>
        c === 'age_band'
          ? band(r.age)
          : String(Math.round((r as unknown as Record<string, number>)[c]! * 100) / 100),
      )
      .join(','),
  );
  return `${cols.join(',')}\n${lines.join('\n')}\n`;
}

/** A dataset version from CSV text, profiled and hashed as `keel data add` does. */
export async function addDataset(ctx: Context, name: string, csv: string): Promise<DatasetVersion> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-gate-data-'));
  try {
    const file = path.join(dir, `${name}.csv`);
    fs.writeFileSync(file, csv);
    const p = await prepareVersion([file]);
    for (const f of p.files) await putBlob(ctx, new Uint8Array(fs.readFileSync(f.absPath)));
    const { version } = await createVersion(
      ctx,
      {
        name,
        files: p.files.map(({ path: rel, size, sha256 }) => ({ path: rel, size, sha256 })),
        rows: p.rows,
        badRows: p.badRows,
        schema: p.schema,
        profile: p.profile,
      },
      'alice',
    );
    return version;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface GateWorld {
  train: DatasetVersion;
  holdout: DatasetVersion;
  /** The holdout's population with salaries ten times higher: out of the training range. */
  shifted: DatasetVersion;
  /** ONNX blobs of the trained models. */
  strong: string;
  weak: string;
}

/** Datasets and two trained models; nothing registered yet. */
export async function gateWorld(ctx: Context): Promise<GateWorld> {
  const trainV = await addDataset(ctx, 'loans-train', loansCsv(1, 600));
  const holdout = await addDataset(ctx, 'loans-holdout', loansCsv(2, 300));
  const shifted = await addDataset(ctx, 'loans-shifted', loansCsv(3, 300, { salaryScale: 10 }));
  const table = await readVersionTable(ctx, await resolveVersion(ctx.store.db, trainV.ref, { files: true }));
  const strong = train(table, {
    kind: 'gbdt',
    target: 'approved',
    features: FEATURES,
    params: 'trees=25,depth=3',
  }).toOnnx();
  const weak = train(table, { kind: 'logistic', target: 'approved', features: ['car', 'zipcode'] }).toOnnx();
  return {
    train: trainV,
    holdout,
    shifted,
    strong: await putBlob(ctx, strong),
    weak: await putBlob(ctx, weak),
  };
}

/** Registers a version of `name` from a trained model, recording the training dataset. */
export async function register(
  ctx: Context,
  w: GateWorld,
  name: string,
  model: 'strong' | 'weak',
  opts: { alias?: string } = {},
): Promise<number> {
  const v = await createModelVersion(
    ctx,
    { name, createModel: true, onnxSha256: w[model], datasets: [w.train.ref] },
    'alice',
  );
  if (opts.alias) await setAlias(ctx, name, opts.alias, v.version, 'alice');
  return v.version;
}
