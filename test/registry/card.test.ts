import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/models/eval/index.js';
import { type ModelCardData, renderCardHtml, renderCardMarkdown } from '../../src/registry/card/index.js';
import { DatasetProfiler } from '../../src/stats/profile.js';

const HOSTILE = '<script>alert(1)</script>';
const T0 = Date.UTC(2024, 4, 1, 9, 30);

function profile() {
  const p = new DatasetProfiler([
    { name: 'salary', type: 'float' },
    { name: 'region', type: 'categorical' },
    { name: HOSTILE, type: 'categorical' },
  ]);
  const regions = ['north', 'north', 'south', 'east'];
  for (let i = 0; i < 8; i++)
    p.addRow([i < 7 ? 1000 * (i + 1) : null, regions[i % 4]!, i % 2 ? HOSTILE : 'x']);
  return p.finish();
}

function evaluation() {
  return evaluate({
    task: 'binary',
    classes: [0, 1],
    actual: [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1],
    predicted: {
      labels: null,
      probabilities: Float64Array.from(
        [0.9, 0.4, 0.2, 0.3, 0.8, 0.6, 0.7, 0.1, 0.2, 0.3, 0.55].flatMap((p) => [1 - p, p]),
      ),
      values: null,
    },
    sliceBy: { name: 'region', values: ['n', 'n', 'n', 'n', 's', 's', 's', 's', HOSTILE, HOSTILE, HOSTILE] },
    sensitive: { name: 'gender', values: ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'C', 'C', null] },
  });
}

function card(over: Partial<ModelCardData> = {}): ModelCardData {
  return {
    model: { name: 'credit', description: 'Loan approval model.', tags: { team: 'risk' } },
    version: {
      version: 3,
      description: 'Retrained on months 3–4.',
      createdAt: T0,
      createdBy: 'bob',
      onnxSha256: 'ab'.repeat(32),
      aliases: ['champion'],
      approval: { status: 'approved', actor: 'alice', reason: 'beats v2', time: T0 + 3_600_000 },
      tags: {},
    },
    intendedUse: 'Ranking consumer loan applications for manual review. Not for automatic rejection.',
    signature: {
      inputs: [{ name: 'salary', type: 'tensor(float)', shape: [null, 1] }],
      outputs: [{ name: 'probabilities', type: 'tensor(float)', shape: ['N', 2] }],
    },
    featureSchema: [
      { name: 'salary', type: 'float', min: 1000, max: 7000 },
      { name: 'region', type: 'categorical', categories: ['east', 'north', 'south'] },
    ],
    training: {
      trainer: 'gbdt',
      task: 'binary',
      target: 'approved',
      params: { learning_rate: '0.1', max_depth: '4' },
      metrics: { train_log_loss: 0.2345678 },
    },
    datasets: [{ ref: 'loans@4', rows: 8, contentHash: 'cd'.repeat(32), profile: profile() }],
    evaluations: [
      { datasetRef: 'loans@5', createdAt: T0 + 7_200_000, result: evaluation() },
      { datasetRef: 'loans@2', createdAt: T0 - 7_200_000, result: evaluation() },
    ],
    lineage: {
      runId: 'r-123',
      runName: 'nightly',
      experiment: 'credit-risk',
      gitCommit: 'deadbeef',
      datasets: ['loans@4'],
    },
    approvals: [
      { status: 'approved', actor: 'alice', reason: 'beats v2', time: T0 + 3_600_000 },
      { status: 'rejected', actor: 'carol', reason: 'needs fairness review', time: T0 + 60_000 },
    ],
    ...over,
  };
}

/** The sections in order. */
const SECTIONS = [
  'Intended use',
  'Model details',
  'Inputs and outputs',
  'Training',
  'Training data',
  'Evaluation',
  'Lineage',
  'Approvals',
  'Metric definitions',
];

describe('renderCardMarkdown', () => {
  const md = renderCardMarkdown(card());

  it('has every section, in order, under a title naming the version', () => {
    expect(md.startsWith('# Model card: credit v3\n')).toBe(true);
    const at = SECTIONS.map((s) => md.indexOf(`\n## ${s}\n`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('states the figures: approval, profile summary, metrics, slices, fairness, lineage', () => {
    expect(md).toContain('Approval: **approved** by alice, 2024-05-01 10:30 UTC');
    expect(md).toContain(`| ONNX sha256 | \`${'ab'.repeat(32)}\` |`);
    // salary: 7 of 8 present, mean 4000, population std 2000, min 1000, max 7000.
    expect(md).toContain('| salary | float | 12.5% | 7 | mean 4000 · std 2000 · min 1000 · max 7000 |');
    // region: north 4 of 8, east and south 2 each (tied, either order).
    expect(md).toMatch(
      /\| region \| categorical \| 0\.0% \| 3 \| top north \(50\.0%\), (east|south) \(25\.0%\), /,
    );
    expect(md).toContain('| Accuracy (`accuracy`) | 0.7273 |');
    expect(md).toContain('| ROC AUC (`roc_auc`) | 0.8571 |');
    expect(md).toContain('| 0 | 5 | 2 |'); // confusion matrix row
    expect(md).toContain('Slices by region:');
    expect(md).toContain(
      'Demographic parity difference: **1.0000** · equal opportunity difference: **0.5000**',
    );
    expect(md).toContain('| C | 2 | 0.0000 | — |');
    expect(md).toContain('| Git commit | `deadbeef` |');
    expect(md).toContain('| learning\\_rate | 0.1 |');
    // Evaluations newest first; approvals oldest first.
    expect(md.indexOf('On loans@5')).toBeLessThan(md.indexOf('On loans@2'));
    expect(md.indexOf('| carol | needs fairness review |')).toBeLessThan(md.indexOf('| alice | beats v2 |'));
  });

  it('escapes hostile names so they cannot add markup', () => {
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const nasty = renderCardMarkdown(
      card({ model: { name: 'a|b*c', description: '<img src=x onerror=alert(1)>', tags: {} } }),
    );
    expect(nasty).toContain('# Model card: a\\|b\\*c v3');
    expect(nasty).not.toContain('<img');
  });

  it('says prominently when the intended use is not stated', () => {
    const none = renderCardMarkdown(card({ intendedUse: null }));
    const section = none.slice(none.indexOf('## Intended use'), none.indexOf('## Model details'));
    expect(section).toContain('> **⚠ Intended use: not stated.');
    expect(renderCardMarkdown(card({ intendedUse: '   ' }))).toContain('Intended use: not stated.');
    expect(md).not.toContain('not stated');
  });

  it('renders a card with nothing optional', () => {
    const bare = renderCardMarkdown(
      card({
        signature: null,
        featureSchema: null,
        datasets: [],
        evaluations: [],
        approvals: [],
        intendedUse: null,
      }),
    );
    expect(bare).toContain('No ONNX signature recorded.');
    expect(bare).toContain('No training dataset recorded.');
    expect(bare).toContain('No evaluation recorded.');
    expect(bare).toContain('No reviews recorded.');
    expect(bare).not.toContain('## Metric definitions');
  });
});

describe('renderCardHtml', () => {
  const html = renderCardHtml(card());

  it('is one self-contained page: no scripts, no external references', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(|@import|<link|<img|<iframe/i);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes hostile names everywhere, including SVG labels and titles', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const page = renderCardHtml(
      card({
        model: { name: `"><svg onload=alert(1)>`, description: HOSTILE, tags: { [HOSTILE]: HOSTILE } },
        intendedUse: HOSTILE,
      }),
    );
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain('<svg onload');
    expect(page).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;');
  });

  it('has every section with the figures, charts and confusion matrix', () => {
    const at = SECTIONS.map((s) => html.indexOf(`<h2>${s}</h2>`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(html).toContain('<span class="badge approved">approved</span>');
    expect(html).toContain('<td class="num">0.7273</td>');
    // Confusion matrix: actual 0 → 5 predicted 0 (71.4% of the row) and 2 predicted 1.
    expect(html).toMatch(
      /<td class="num" style="background:rgba\(76,120,168,0\.429\)">5<span class="muted"> 71\.4%<\/span><\/td>/,
    );
    // A reliability chart, bar charts for the slices (accuracy, F1, ROC AUC) and fairness rates.
    expect(html).toContain('aria-label="reliability diagram"');
    expect(html).toContain('aria-label="Accuracy by region"');
    expect(html).toContain('aria-label="ROC AUC by region"');
    expect(html).toContain('aria-label="selection and true-positive rates by gender"');
    expect(html).toContain('<title>B · selection rate: 0.7500</title>');
    expect(html).toMatch(/Demographic parity difference <b>1\.0000<\/b>/);
    // Two evaluations, each with its charts.
    expect(html.match(/aria-label="reliability diagram"/g)).toHaveLength(2);
  });

  it('shows the intended-use warning when it is not stated', () => {
    const page = renderCardHtml(card({ intendedUse: null }));
    expect(page).toMatch(/<div class="warn" role="alert">⚠ Intended use: not stated\./);
    expect(html).not.toContain('not stated');
    expect(html).toContain('Ranking consumer loan applications for manual review.');
  });
});
