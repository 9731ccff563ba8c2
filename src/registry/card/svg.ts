/**
 * Inline SVG charts for the HTML card: no scripts, no fonts, no external references. Every text
 * passed in is escaped here.
 */
import { formatMetric } from '../../models/eval/index.js';

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const BLUE = '#4C78A8';
export const ORANGE = '#F58518';
const GREY = '#999';
const INK = '#555';

export interface BarSeries {
  name: string;
  color: string;
  /** One value per category; null draws no bar and prints "—". */
  values: (number | null)[];
}

const LABEL_W = 150;
const VALUE_W = 60;
const W = 560;
const ROW = 16;

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Horizontal bars, one row per category and series. The axis runs from min(0, values) to
 * max(`max`, values): metrics bounded by 1 pass max = 1 so bars compare across charts.
 */
export function barChart(title: string, categories: string[], series: BarSeries[], max?: number): string {
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(0, ...all);
  const hi = Math.max(max ?? 0, ...all, lo + 1e-12);
  const plotW = W - LABEL_W - VALUE_W;
  const x = (v: number) => LABEL_W + ((v - lo) / (hi - lo)) * plotW;
  const groupH = series.length * ROW + 6;
  const top = 20;
  const H = top + categories.length * groupH + 8;
  const parts: string[] = [];
  categories.forEach((cat, i) => {
    const y0 = top + i * groupH;
    parts.push(
      `<text x="${LABEL_W - 6}" y="${(y0 + (series.length * ROW) / 2 + 4).toFixed(1)}" font-size="11" fill="${INK}" text-anchor="end">${esc(cut(cat, 24))}</text>`,
    );
    series.forEach((s, j) => {
      const v = s.values[i] ?? null;
      const y = y0 + j * ROW;
      if (v !== null && Number.isFinite(v)) {
        const a = x(Math.min(0, v));
        const b = x(Math.max(0, v));
        parts.push(
          `<rect x="${a.toFixed(1)}" y="${(y + 2).toFixed(1)}" width="${Math.max(b - a, 0.5).toFixed(1)}" height="${ROW - 4}" fill="${s.color}"><title>${esc(cat)} · ${esc(s.name)}: ${formatMetric(v)}</title></rect>`,
        );
      }
      parts.push(
        `<text x="${W - VALUE_W + 4}" y="${(y + ROW - 4).toFixed(1)}" font-size="10" fill="${INK}">${formatMetric(v)}</text>`,
      );
    });
  });
  const zero = x(0).toFixed(1);
  const legend = series
    .map(
      (s, j) =>
        `<rect x="${LABEL_W + j * 140}" y="4" width="10" height="10" fill="${s.color}"/><text x="${LABEL_W + j * 140 + 14}" y="13" font-size="11" fill="${INK}">${esc(s.name)}</text>`,
    )
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${legend}
<line x1="${zero}" y1="${top - 2}" x2="${zero}" y2="${H - 6}" stroke="${GREY}"/>${parts.join('')}</svg>`;
}

/** A bin of a reliability diagram. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number | null;
  accuracy: number | null;
}

/**
 * Reliability diagram: per confidence bin, a bar to the observed accuracy and a dot at the mean
 * confidence; the diagonal is perfect calibration.
 */
export function reliabilityChart(bins: ReliabilityBin[]): string {
  const S = 260;
  const pad = 30;
  const plot = S - pad * 2;
  const px = (v: number) => pad + v * plot;
  const py = (v: number) => S - pad - v * plot;
  const bars = bins
    .filter((b) => b.count > 0 && b.accuracy !== null && b.confidence !== null)
    .map((b) => {
      const acc = b.accuracy!;
      const conf = b.confidence!;
      const tip = `(${b.lower.toFixed(1)}, ${b.upper.toFixed(1)}]: ${b.count} rows, confidence ${formatMetric(conf)}, accuracy ${formatMetric(acc)}`;
      return (
        `<rect x="${(px(b.lower) + 1).toFixed(1)}" y="${py(acc).toFixed(1)}" width="${(px(b.upper) - px(b.lower) - 2).toFixed(1)}" height="${(py(0) - py(acc)).toFixed(1)}" fill="${BLUE}" fill-opacity="0.75"><title>${tip}</title></rect>` +
        `<circle cx="${px(conf).toFixed(1)}" cy="${py(conf).toFixed(1)}" r="3" fill="${ORANGE}"><title>${tip}</title></circle>`
      );
    })
    .join('');
  return `<svg viewBox="0 0 ${S} ${S}" width="${S}" height="${S}" role="img" aria-label="reliability diagram">
<rect x="${pad}" y="${pad}" width="${plot}" height="${plot}" fill="none" stroke="${GREY}"/>
<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="${GREY}" stroke-dasharray="4 3"/>${bars}
<text x="${S / 2}" y="${S - 6}" font-size="10" fill="${INK}" text-anchor="middle">confidence of the predicted class</text>
<text x="10" y="${S / 2}" font-size="10" fill="${INK}" text-anchor="middle" transform="rotate(-90 10 ${S / 2})">accuracy</text>
<text x="${pad}" y="${S - pad + 12}" font-size="9" fill="${INK}">0</text>
<text x="${S - pad}" y="${S - pad + 12}" font-size="9" fill="${INK}" text-anchor="end">1</text></svg>`;
}
