/**
 * What the built-in step suites share: a real app on a fresh store with the in-process API acting
 * as `pipeline:test`, loan applicants to version, and a step context like the runner's (a tracked
 * run tagged with the pipeline, run and step, in the experiment `pipeline:test`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sample } from '../../../src/data/generators/agrawal.js';
import {
  prepareDatasetVersion,
  storeDatasetVersion,
} from '../../../src/pipelines/steps/builtins/add-version.js';
import type { Builtin, BuiltinContext, BuiltinResult } from '../../../src/pipelines/steps/types.js';
import type { DatasetVersion, Keel } from '../../../src/sdk/index.js';
import { buildApp } from '../../../src/server/app.js';
import { inProcessKeel } from '../../../src/server/inject.js';
import { type Dialect, type TestEnv, testEnv } from '../../helpers/context.js';

export const PIPELINE = 'test';

/** `${<what>}`: a reference as a pipeline spec writes it. */
export const ref = (what: string): string => `\${${what}}`;
export const FEATURES = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
];

export interface Harness extends TestEnv {
  app: FastifyInstance;
  keel: Keel;
}

export async function harness(dialect: Dialect): Promise<Harness> {
  const env = await testEnv(dialect);
  const app = await buildApp(env.ctx, { allowLocal: true, trustLocal: true });
  return {
    ...env,
    app,
    keel: inProcessKeel(app, `pipeline:${PIPELINE}`),
    cleanup: async () => {
      await app.close();
      await env.cleanup();
    },
  };
}

export type Loan = Record<string, number>;

/** Loan applicants with the 0/1 `approved` label (Agrawal function 2). */
export function loans(seed: number, n: number): Loan[] {
  return sample({ seed, fn: 2, labelNoise: 0.02 }, n).map((r) => {
    const a: Loan = {};
    for (const f of FEATURES) a[f] = Math.round((r[f as keyof typeof r] as number) * 100) / 100;
    a.approved = r.approved;
    return a;
  });
}

export function writeCsv(file: string, rows: Loan[]): void {
  const cols = [...FEATURES, 'approved'];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `${cols.join(',')}\n${rows.map((r) => cols.map((c) => r[c]).join(',')).join('\n')}\n`,
  );
}

/** Versions `rows` as the dataset `name` (as `keel data add` does). */
export async function addLoans(h: Harness, name: string, rows: Loan[]): Promise<DatasetVersion> {
  const file = path.join(h.dir, 'csv', `${name}-${rows.length}-${rows[0]?.salary}.csv`);
  writeCsv(file, rows);
  const prepared = await prepareDatasetVersion(h.keel, [file], { name });
  return (await storeDatasetVersion(h.keel, name, prepared)).version;
}

export interface Attempt<W> {
  b: BuiltinContext & { with: W };
  lines: string[];
}

/**
 * A step attempt's context as the runner builds it: `with` parsed (resolved), and the step's
 * tracked run — reused when given, as the runner reuses it when a step is retried.
 */
export async function attempt<W>(
  h: Harness,
  builtin: Builtin<W>,
  withArgs: Record<string, unknown>,
  opts: { runId?: number; step?: string; trackedRunId?: string; workDir?: string } = {},
): Promise<Attempt<W>> {
  const runId = opts.runId ?? 1;
  const step = opts.step ?? builtin.name.replace('.', '-');
  let trackedRunId = opts.trackedRunId;
  if (!trackedRunId) {
    const experiment = await h.keel.ensureExperiment(`pipeline:${PIPELINE}`);
    const run = await h.keel.runs.create({
      experimentId: experiment.experimentId,
      runName: step,
      tags: [
        { key: 'keel.pipeline', value: PIPELINE },
        { key: 'keel.pipeline.run', value: String(runId) },
        { key: 'keel.pipeline.step', value: step },
      ],
    });
    trackedRunId = run.info.runId;
  }
  const lines: string[] = [];
  const b: BuiltinContext & { with: W } = {
    ctx: h.ctx,
    keel: h.keel,
    pipeline: PIPELINE,
    runId,
    step,
    with: builtin.parse(withArgs, { resolved: true }) as W & Record<string, unknown>,
    params: {},
    trackedRunId,
    workDir: opts.workDir ?? process.cwd(),
    log: (l: string) => {
      lines.push(l);
    },
    signal: new AbortController().signal,
  };
  return { b, lines };
}

/** Parses and runs a step once. */
export async function runStep<W>(
  h: Harness,
  builtin: Builtin<W>,
  withArgs: Record<string, unknown>,
  opts: { runId?: number; step?: string; trackedRunId?: string; workDir?: string } = {},
): Promise<BuiltinResult & Attempt<W>> {
  const a = await attempt(h, builtin, withArgs, opts);
  return { ...(await builtin.run(a.b)), ...a };
}

/** The KeelError (or API error) a promise or function rejects with. */
export async function failure(
  p: Promise<unknown> | (() => unknown),
): Promise<Error & { code?: string; details?: { field?: string }; field?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a failure');
}
