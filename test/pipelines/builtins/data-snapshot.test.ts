import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSnapshotStep } from '../../../src/pipelines/steps/builtins/data-snapshot.js';
import { loadDataset } from '../../../src/pipelines/steps/builtins/dataset-io.js';
import { registerStep } from '../../../src/pipelines/steps/builtins/register.js';
import { trainStep } from '../../../src/pipelines/steps/builtins/train.js';
import { DIALECTS } from '../../helpers/context.js';
import {
  attempt,
  FEATURES,
  failure,
  type Harness,
  harness,
  type Loan,
  loans,
  ref,
  runStep,
  writeCsv,
} from './fixture.js';

const T0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

describe('data.snapshot step: parse', () => {
  const parse = (w: Record<string, unknown>, resolved = true) => dataSnapshotStep.parse(w, { resolved });

  it('needs exactly one source; deployment-only arguments need a deployment', async () => {
    expect(parse({ name: 'recent', deployment: 'api', window: '30d', labels_only: 'false' })).toEqual({
      name: 'recent',
      deployment: 'api',
      window: '30d',
      labels_only: false,
    });
    expect(parse({ name: 'raw', path: 'data/a.csv, data/b.csv' })).toEqual({
      name: 'raw',
      path: ['data/a.csv', 'data/b.csv'],
    });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: 'x' }, 'with.path', /exactly one of with\.path .* or with\.deployment/],
      [{ name: 'x', path: 'a.csv', deployment: 'api' }, 'with.deployment', /exactly one/],
      [{ name: 'x', path: 'a.csv', window: '1d' }, 'with.window', /applies only with with\.deployment/],
      [{ name: 'x', deployment: 'api', window: 'soon' }, 'with.window', /not a duration/],
      [{ name: 'bad name', deployment: 'api' }, 'with.name', /Invalid dataset name/],
      [{ deployment: 'api' }, 'with.name', /required/],
    ];
    for (const [w, field, message] of cases) {
      const e = await failure(() => parse(w));
      expect(e.code, JSON.stringify(w)).toBe('INVALID_PARAMETER_VALUE');
      expect(e.details?.field, JSON.stringify(w)).toBe(field);
      expect(e.message).toMatch(message);
    }
    expect(
      parse({ name: 'x', deployment: ref('params.deployment'), window: ref('params.window') }, false),
    ).toBeTruthy();
  });
});

describe.each(DIALECTS)('data.snapshot step (%s)', (dialect) => {
  let h: Harness;
  /** What was sent: each request's applicants (features and true label) and event time. */
  const batches: { requestId: string; rows: Loan[]; time: number }[] = [];

  async function predict(rows: Loan[], time: number): Promise<void> {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/deployments/credit-api/predict',
      headers: { 'x-keel-event-time': String(time) },
      payload: { records: rows.map((r) => Object.fromEntries(FEATURES.map((f) => [f, r[f]]))) },
    });
    expect(res.statusCode, res.body).toBe(200);
    const requestId = res.json().request_id as string;
    batches.push({ requestId, rows, time });
  }

  const label = (i: number) =>
    h.keel.predictions.feedback(
      'credit-api',
      batches[i]!.rows.map((r, row) => ({
        requestId: batches[i]!.requestId,
        row,
        label: r.approved!,
        timestamp: batches[i]!.time + HOUR,
      })),
    );

  beforeAll(async () => {
    h = await harness(dialect);
    const file = path.join(h.dir, 'work', 'loans.csv');
    writeCsv(file, loans(1, 300));
    await runStep(h, dataSnapshotStep, { name: 'loans', path: file }, { step: 'data' });
    await runStep(
      h,
      trainStep,
      { data: 'loans', trainer: 'gbdt', target: 'approved', params: 'trees=5' },
      { step: 'train' },
    );
    await runStep(h, registerStep, { model: 'credit' }, { step: 'register' });
    await h.keel.deployments.create({
      name: 'credit-api',
      model: 'credit@1',
      log: { windowSeconds: 3600, sampleRows: 1000 },
    });
    const traffic = loans(9, 60);
    await predict(traffic.slice(0, 20), T0 + 10 * 60_000);
    await predict(traffic.slice(20, 40), T0 + 2 * HOUR + 5 * 60_000);
    await predict(traffic.slice(40, 60), T0 + 2 * HOUR + 50 * 60_000);
    await h.app.serving.log?.flush();
    await label(0);
    await label(1);
  }, 120_000);
  afterAll(() => h?.cleanup());

  it('versions files content-addressed: the same content is the same version', async () => {
    const file = path.join(h.dir, 'work', 'loans.csv');
    const again = await runStep(
      h,
      dataSnapshotStep,
      { name: 'loans', path: path.relative(process.cwd(), file) },
      { runId: 2 },
    );
    expect(again.outputs).toMatchObject({
      name: 'loans',
      version: 1,
      ref: 'loans@1',
      rows: 300,
    });
    const v = await h.keel.datasets.get('loans@1');
    expect(v.message).toContain('[keel.pipeline=test keel.pipeline.run=1 keel.pipeline.step=data]');
    const missing = await failure(
      runStep(h, dataSnapshotStep, { name: 'loans', path: path.join(h.dir, 'nope.csv') }, { runId: 2 }),
    );
    expect(missing.details?.field).toBe('with.path');
    expect(missing.message).toMatch(/nope\.csv: no such file/);
  });

  it("joins the deployment's sampled inputs with their labels into a version; a retry reuses it", async () => {
    const r = await runStep(h, dataSnapshotStep, { name: 'recent', deployment: 'credit-api' }, { runId: 3 });
    expect(r.outputs).toEqual({ name: 'recent', version: 1, ref: 'recent@1', rows: 40 });
    expect(r.lines[0]).toMatch(/deployment credit-api: 40 sampled rows, 40 labelled/);
    const { version, table } = await loadDataset(h.keel, 'recent@1');
    expect(version.schema!.columns.map((c) => c.name)).toEqual([...FEATURES, 'approved']);
    expect(version.message).toMatch(
      /40 labelled rows sampled from deployment credit-api .* labels in 'approved'/,
    );
    // Rows in event-time order: the first two batches, each row with the label sent for it.
    const expected = [...batches[0]!.rows, ...batches[1]!.rows];
    expect(table.rows).toBe(40);
    expect(Array.from(table.columns['approved']!, Number)).toEqual(expected.map((x) => x.approved));
    const salary = Array.from(table.columns['salary']!, Number);
    for (const [i, s] of salary.entries()) expect(s).toBeCloseTo(expected[i]!.salary!, 1);

    const again = await runStep(
      h,
      dataSnapshotStep,
      { name: 'recent', deployment: 'credit-api' },
      { runId: 3 },
    );
    expect(again.outputs).toMatchObject({ ref: 'recent@1', rows: 40 });
    expect(again.lines.join('\n')).toMatch(/earlier attempt already recorded recent@1/);
    // Another run over the same log: the same content, so the same version.
    const other = await runStep(
      h,
      dataSnapshotStep,
      { name: 'recent', deployment: 'credit-api' },
      { runId: 4 },
    );
    expect(other.outputs).toMatchObject({ ref: 'recent@1' });
    expect(await h.keel.datasets.list('recent')).toHaveLength(1);
  });

  it('fingerprints labels and predictions: new labels change it and give a new version', async () => {
    const { b } = await attempt(
      h,
      dataSnapshotStep,
      { name: 'recent', deployment: 'credit-api' },
      { runId: 5 },
    );
    const before = await dataSnapshotStep.fingerprint!(b);
    expect(await dataSnapshotStep.fingerprint!(b)).toBe(before);
    await label(2);
    expect(await dataSnapshotStep.fingerprint!(b)).not.toBe(before);
    const r = await dataSnapshotStep.run(b);
    expect(r.outputs).toMatchObject({ ref: 'recent@2', rows: 60 });
  });

  it('limits to a window back from the newest labelled prediction, or keeps unlabelled rows', async () => {
    const w = await runStep(
      h,
      dataSnapshotStep,
      { name: 'window', deployment: 'credit-api', window: '1h' },
      { runId: 6 },
    );
    expect(w.outputs).toMatchObject({ rows: 40 });
    await h.keel.predictions.feedback('credit-api', [
      { requestId: batches[2]!.requestId, row: 0, label: 'maybe' },
    ]);
    await predict(loans(10, 5), T0 + 3 * HOUR);
    await h.app.serving.log?.flush();
    const all = await runStep(
      h,
      dataSnapshotStep,
      { name: 'all', deployment: 'credit-api', labels_only: false, label_column: 'outcome' },
      { runId: 7 },
    );
    expect(all.outputs).toMatchObject({ rows: 65 });
    const { table } = await loadDataset(h.keel, 'all@1');
    const outcome = Array.from(table.columns['outcome']!);
    expect(outcome.slice(40, 41)).toEqual(['maybe']);
    expect(outcome.slice(60).every((v) => v === null)).toBe(true);
  });

  it('retrains on the snapshot: the closed loop', async () => {
    const t = await runStep(
      h,
      trainStep,
      { data: 'recent@2', trainer: 'logistic', target: 'approved' },
      { runId: 8, step: 'retrain' },
    );
    expect(t.outputs).toMatchObject({ task: 'binary', data: 'recent@2' });
  });

  it('refuses a deployment without labels, or a label column that is an input, recording nothing', async () => {
    await h.keel.deployments.create({ name: 'quiet', model: 'credit@1' });
    const none = await failure(
      runStep(h, dataSnapshotStep, { name: 'quiet', deployment: 'quiet' }, { runId: 9 }),
    );
    expect(none.message).toMatch(/deployment quiet has no labelled sampled predictions to snapshot/);
    const clash = await failure(
      runStep(
        h,
        dataSnapshotStep,
        { name: 'quiet', deployment: 'credit-api', label_column: 'age' },
        { runId: 9 },
      ),
    );
    expect(clash.details?.field).toBe('with.label_column');
    const ghost = await failure(
      runStep(h, dataSnapshotStep, { name: 'quiet', deployment: 'ghost' }, { runId: 9 }),
    );
    expect(ghost.message).toMatch(/ghost/);
    expect(await h.keel.datasets.list('quiet')).toEqual([]);
  });
});
