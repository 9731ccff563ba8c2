/**
 * The model card as Markdown (CommonMark + GFM tables). Names and values are escaped so that no
 * registry content can add markup; free text (descriptions, intended use, reasons) keeps its
 * Markdown but not raw HTML.
 */
import { type EvalResult, formatMetric, METRICS, metricLabel } from '../../models/eval/index.js';
import {
  approvalsByTime,
  deployedText,
  evaluationsByTime,
  fmtShare,
  fmtTime,
  INTENDED_USE_NOT_STATED,
  metricKeys,
  rangeText,
  rowsText,
  shapeText,
  summarizeColumn,
  taskName,
} from './summary.js';
import type { CardTensor, ModelCardData } from './types.js';

const INLINE: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '\n': ' ', '\r': '' };

/** Text inside a heading or table cell: Markdown punctuation backslash-escaped, HTML as entities. */
export const mdText = (s: string): string =>
  s.replace(/[\\`*_[\]|#~!<>&\n\r]/g, (c) => INLINE[c] ?? `\\${c}`);

/** Free text that may be Markdown: only raw HTML is neutralised. */
export const mdBlock = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Inline code; a value with backticks falls back to escaped text. */
const mdCode = (s: string): string => (s.includes('`') ? mdText(s) : `\`${s.replace(/[\n\r]/g, ' ')}\``);

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const kv = (pairs: [string, string][]): string => table(['', ''], pairs);

const tagsTable = (tags: Record<string, string>): string =>
  table(
    ['tag', 'value'],
    Object.keys(tags)
      .sort()
      .map((k) => [mdText(k), mdText(tags[k] ?? '')]),
  );

/** Renders the model card as Markdown. */
export function renderCardMarkdown(card: ModelCardData): string {
  const { model, version: v } = card;
  const out: string[] = [];
  out.push(`# Model card: ${mdText(model.name)} v${v.version}`);
  const approval = v.approval;
  const status = `**${mdText(approval.status)}**${approval.actor ? ` by ${mdText(approval.actor)}` : ''}${approval.time !== null ? `, ${fmtTime(approval.time)}` : ''}`;
  out.push(
    `Approval: ${status} · aliases: ${v.aliases.length ? v.aliases.map(mdText).join(', ') : 'none'} · created ${fmtTime(v.createdAt)} by ${mdText(v.createdBy)}`,
  );
  if (model.description.trim()) out.push(mdBlock(model.description.trim()));
  if (v.description.trim()) out.push(mdBlock(v.description.trim()));

  out.push('## Intended use');
  out.push(
    card.intendedUse?.trim()
      ? mdBlock(card.intendedUse.trim())
      : `> **⚠ ${mdBlock(INTENDED_USE_NOT_STATED)}**`,
  );

  out.push('## Model details');
  out.push(
    kv([
      ['Model', mdText(model.name)],
      ['Version', String(v.version)],
      ['Created', `${fmtTime(v.createdAt)} by ${mdText(v.createdBy)}`],
      ['ONNX sha256', v.onnxSha256 ? mdCode(v.onnxSha256) : 'no ONNX file'],
      ['Aliases', v.aliases.length ? v.aliases.map(mdText).join(', ') : 'none'],
      [
        'Approval',
        `${mdText(approval.status)}${approval.actor ? ` by ${mdText(approval.actor)}` : ''}${approval.reason ? `: ${mdText(approval.reason)}` : ''}`,
      ],
    ]),
  );
  if (Object.keys(model.tags).length) out.push('Model tags:', tagsTable(model.tags));
  if (Object.keys(v.tags).length) out.push('Version tags:', tagsTable(v.tags));

  out.push('## Inputs and outputs');
  if (card.signature) {
    const row = (dir: string, t: CardTensor) => [
      dir,
      mdText(t.name),
      mdText(t.type),
      t.shape ? mdText(shapeText(t.shape)) : 'unknown',
    ];
    out.push(
      table(
        ['', 'name', 'type', 'shape'],
        [
          ...card.signature.inputs.map((t) => row('input', t)),
          ...card.signature.outputs.map((t) => row('output', t)),
        ],
      ),
    );
  } else out.push('No ONNX signature recorded.');
  if (card.featureSchema?.length) {
    out.push('Features, with what training saw:');
    out.push(
      table(
        ['feature', 'type', 'training range or categories'],
        card.featureSchema.map((f) => [mdText(f.name), mdText(f.type), mdText(rangeText(f))]),
      ),
    );
  }

  out.push('## Training');
  const t = card.training;
  out.push(
    kv([
      ['Trainer', t.trainer ? mdText(t.trainer) : '—'],
      ['Task', t.task ? mdText(t.task) : '—'],
      ['Target', t.target ? mdText(t.target) : '—'],
    ]),
  );
  const params = Object.keys(t.params).sort();
  if (params.length)
    out.push(
      'Parameters:',
      table(
        ['parameter', 'value'],
        params.map((k) => [mdText(k), mdText(t.params[k] ?? '')]),
      ),
    );
  const metrics = Object.keys(t.metrics).sort();
  if (metrics.length)
    out.push(
      'Training metrics:',
      table(
        ['metric', 'value'],
        metrics.map((k) => [mdText(k), formatMetric(t.metrics[k])]),
      ),
    );

  out.push('## Training data');
  if (card.datasets.length === 0) out.push('No training dataset recorded.');
  for (const d of card.datasets) {
    out.push(`### ${mdText(d.ref)}`);
    out.push(`${d.rows} rows · content sha256 ${mdCode(d.contentHash)}`);
    if (!d.profile) {
      out.push('No profile stored for this dataset version.');
      continue;
    }
    out.push(
      table(
        ['column', 'type', 'missing', 'distinct (≈)', 'summary'],
        d.profile.columns.map((c) => {
          const s = summarizeColumn(c);
          return [
            mdText(s.name),
            s.type,
            fmtShare(s.missingShare),
            String(s.distinct),
            mdText(s.stats.map(([k, val]) => `${k} ${val}`).join(' · ')),
          ];
        }),
      ),
    );
  }

  out.push('## Evaluation');
  const evals = evaluationsByTime(card);
  if (evals.length === 0) out.push('No evaluation recorded.');
  for (const e of evals) out.push(...evaluationMarkdown(e.datasetRef, e.createdAt, e.result));

  out.push('## Lineage');
  const l = card.lineage;
  out.push(
    kv([
      ['Run', l.runId ? `${mdText(l.runName ?? '')} (${mdCode(l.runId)})` : '—'],
      ['Experiment', l.experiment ? mdText(l.experiment) : '—'],
      ['Git commit', l.gitCommit ? mdCode(l.gitCommit) : '—'],
      ['Datasets', l.datasets.length ? l.datasets.map(mdText).join(', ') : '—'],
      [
        'Deployed',
        l.deployments?.length ? l.deployments.map((d) => mdText(deployedText(d))).join(', ') : '—',
      ],
    ]),
  );

  out.push('## Approvals');
  const approvals = approvalsByTime(card);
  if (approvals.length === 0) out.push('No reviews recorded.');
  else
    out.push(
      table(
        ['time', 'decision', 'by', 'reason'],
        approvals.map((a) => [
          fmtTime(a.time),
          mdText(a.status),
          mdText(a.actor),
          a.reason ? mdText(a.reason) : '—',
        ]),
      ),
    );

  const keys = metricKeys(card).filter((k) => METRICS[k]);
  if (keys.length) {
    out.push('## Metric definitions');
    out.push(
      'Defined as scikit-learn (classification and regression metrics) and fairlearn (fairness) define them; "—" marks a metric undefined on the data (e.g. ROC AUC with one class).',
    );
    out.push(
      keys
        .map((k) => `- **${mdText(metricLabel(k))}** (\`${k}\`): ${mdText(METRICS[k]!.definition)}`)
        .join('\n'),
    );
  }
  return `${out.join('\n\n')}\n`;
}

function evaluationMarkdown(datasetRef: string | null, createdAt: number, r: EvalResult): string[] {
  const out: string[] = [];
  out.push(`### ${datasetRef ? `On ${mdText(datasetRef)}` : 'On unrecorded data'}, ${fmtTime(createdAt)}`);
  out.push(`${taskName(r.task)}, ${rowsText(r)}`);
  out.push(
    table(
      ['metric', 'value'],
      Object.entries(r.metrics ?? {}).map(([k, val]) => [
        `${mdText(metricLabel(k))} (\`${k}\`)`,
        formatMetric(val),
      ]),
    ),
  );
  if (r.confusion?.labels.length) {
    const labels = r.confusion.labels.map((x) => mdText(String(x)));
    out.push('Confusion matrix (rows: actual, columns: predicted):');
    out.push(
      table(
        ['actual \\\\ predicted', ...labels],
        labels.map((l, i) => [l, ...(r.confusion!.matrix[i] ?? []).map(String)]),
      ),
    );
  }
  const bins = r.calibration?.bins.filter((b) => b.count > 0) ?? [];
  if (bins.length) {
    out.push('Calibration (reliability, by confidence of the predicted class):');
    out.push(
      table(
        ['confidence bin', 'rows', 'mean confidence', 'accuracy'],
        bins.map((b) => [
          `(${b.lower.toFixed(1)}, ${b.upper.toFixed(1)}]`,
          String(b.count),
          formatMetric(b.confidence),
          formatMetric(b.accuracy),
        ]),
      ),
    );
  }
  if (r.slices) {
    const keys = [...new Set(r.slices.groups.flatMap((g) => Object.keys(g.metrics)))];
    out.push(`Slices by ${mdText(r.slices.column)}:`);
    out.push(
      table(
        [mdText(r.slices.column), 'rows', ...keys.map((k) => `\`${k}\``)],
        r.slices.groups.map((g) => [
          mdText(g.value),
          String(g.rows),
          ...keys.map((k) => formatMetric(g.metrics[k])),
        ]),
      ),
    );
  }
  if (r.fairness) {
    const f = r.fairness;
    out.push(`Fairness by ${mdText(f.attribute)} (positive class: ${mdText(String(f.positiveClass))}):`);
    out.push(
      table(
        [mdText(f.attribute), 'rows', 'selection rate', 'true positive rate'],
        f.groups.map((g) => [
          mdText(g.value),
          String(g.rows),
          formatMetric(g.selectionRate),
          formatMetric(g.truePositiveRate),
        ]),
      ),
    );
    out.push(
      `Demographic parity difference: **${formatMetric(f.demographicParityDifference)}** · equal opportunity difference: **${formatMetric(f.equalOpportunityDifference)}**`,
    );
  }
  return out;
}
