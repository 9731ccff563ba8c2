/**
 * Inline-SVG chart helpers for the monitoring report: pure string builders (no scripts, no
 * network, no randomness), every piece of text escaped, times on a UTC axis.
 */
import type { Severity } from '../types.js';

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A number for people: 4 significant-ish decimals, exponent when tiny or huge, `–` when absent. */
export const fmt = (v: number | null | undefined): string =>
  v === null || v === undefined
    ? '–'
    : !Number.isFinite(v)
      ? String(v)
      : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
        ? v.toExponential(2)
        : String(Number(v.toFixed(4)));

export const pct = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`;

const DAY = 86_400_000;

/** `YYYY-MM-DD` for midnights, `YYYY-MM-DD HH:mm` otherwise, always UTC. */
export const fmtTime = (ms: number): string => {
  const iso = new Date(ms).toISOString();
  return ms % DAY === 0 ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
};

export const PALETTE = '#4C78A8 #F58518 #54A24B #B279A2 #72B7B2 #9D755D #EECA3B #FF9DA6'.split(' ');
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;
export const REF_COLOR = '#4C78A8';
export const CUR_COLOR = '#F58518';
export const BREACH_COLOR = '#D62728';
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  info: '#4C78A8',
  warning: '#F2A30F',
  critical: BREACH_COLOR,
};

const n1 = (v: number): string => v.toFixed(1);
const clip = (s: string, max: number): string =>
  s.length > max ? `${s.slice(0, Math.max(max - 1, 1))}…` : s;
const text = (x: number, y: number, s: string, attrs = ''): string =>
  `<text x="${n1(x)}" y="${n1(y)}" font-size="10" fill="#555"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;

/** Readable tick steps, in minutes: 1 min … 52 weeks. */
const TIME_STEPS = [1, 5, 15, 60, 180, 360, 720, 1440, 2880, 10_080, 20_160, 40_320, 131_040, 524_160].map(
  (m) => m * 60_000,
);

/** Tick positions on UTC multiples of a readable step, and their labels. */
function timeTicks(lo: number, hi: number, maxTicks: number): { at: number; label: string }[] {
  const span = Math.max(hi - lo, 1);
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? span;
  const iso = (ms: number) => new Date(ms).toISOString();
  const years = iso(lo).slice(0, 4) !== iso(hi).slice(0, 4);
  const label = (ms: number): string =>
    step >= DAY
      ? iso(ms).slice(years ? 0 : 5, 10)
      : span > DAY
        ? `${iso(ms).slice(5, 10)} ${iso(ms).slice(11, 16)}`
        : iso(ms).slice(11, 16);
  const out: { at: number; label: string }[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi && out.length < 50; t += step)
    out.push({ at: t, label: label(t) });
  return out;
}

/** A readable step (1, 2 or 5 × 10^k) splitting `span` into about `parts`. */
function niceStep(span: number, parts: number): number {
  const raw = span / parts;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const m = raw / mag;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
}

function valueTicks(
  values: number[],
  hints: number[],
): { lo: number; hi: number; ticks: number[]; decimals: number } {
  let lo = Math.min(...values, ...hints);
  let hi = Math.max(...values, ...hints);
  if (lo >= 0 && lo <= hi - lo) lo = 0;
  if (hi === lo) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= lo === 0 ? 0 : d;
    hi += d;
  }
  const step = niceStep(hi - lo, 4);
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-6; i++) ticks.push(lo + i * step);
  return { lo, hi, ticks, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

interface LegendItem {
  name: string;
  color: string;
  kind: 'line' | 'dashed' | 'box' | 'dot' | 'arrow';
}

/** Legend rows laid out from the left, wrapping; returns the SVG and the height used. */
function legend(items: LegendItem[], x0: number, width: number): { svg: string; height: number } {
  let x = x0;
  let y = 12;
  const parts: string[] = [];
  for (const it of items) {
    const name = clip(it.name, 48);
    const w = 22 + name.length * 5.6 + 14;
    if (x > x0 && x + w > width) {
      x = x0;
      y += 14;
    }
    const sw =
      it.kind === 'box'
        ? `<rect x="${n1(x)}" y="${y - 8}" width="12" height="9" fill="${it.color}" opacity="0.8"/>`
        : it.kind === 'arrow'
          ? `<polygon points="${n1(x + 2)},${y - 9} ${n1(x + 10)},${y - 4} ${n1(x + 2)},${y + 1}" fill="${it.color}"/>`
          : it.kind === 'dot'
            ? `<circle cx="${n1(x + 8)}" cy="${y - 4}" r="4" fill="${it.color}" stroke="#fff"/>`
            : `<line x1="${n1(x)}" y1="${y - 4}" x2="${n1(x + 16)}" y2="${y - 4}" stroke="${it.color}" stroke-width="2"${it.kind === 'dashed' ? ' stroke-dasharray="5 3"' : ''}/>`;
    parts.push(`${sw}${text(x + 20, y, name)}`);
    x += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: items.length ? y + 8 : 4 };
}

/** A chart's box: the plot area inside margins, below its legend. */
type Frame = {
  W: number;
  H: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  legend: string;
};

function frame(W: number, H: number, left: number, right: number, items: LegendItem[], rows = 0): Frame {
  const leg = legend(items, left, W - right);
  const top = leg.height + 8;
  return {
    W,
    H: rows ? top + rows + 26 : H,
    left,
    right: W - right,
    top,
    bottom: rows ? top + rows : H - 26,
    legend: leg.svg,
  };
}

const svgOpen = (cls: string, f: Frame, label: string): string =>
  `<svg class="${cls}" viewBox="0 0 ${f.W} ${f.H}" width="${f.W}" height="${f.H}" role="img" aria-label="${esc(label)}">${f.legend}`;

const hline = (f: Frame, y: number, stroke: string): string =>
  `<line x1="${f.left}" y1="${n1(y)}" x2="${f.right}" y2="${n1(y)}" stroke="${stroke}"/>`;

/** Horizontal grid lines with their value labels on the left. */
const yGrid = (f: Frame, ticks: number[], Y: (v: number) => number, label: (v: number) => string): string =>
  ticks
    .map((t) => hline(f, Y(t), '#eee') + text(f.left - 4, Y(t) + 3, label(t), 'text-anchor="end"'))
    .join('');

/** A y scale over the frame: its ticks and the value → pixel map. */
function yScale(f: Frame, values: number[], hints: number[]) {
  const axis = valueTicks(values, hints);
  const Y = (v: number) => f.bottom - ((v - axis.lo) / (axis.hi - axis.lo)) * (f.bottom - f.top);
  const pctLabel = (v: number) => `${(v * 100).toFixed(Math.max(0, axis.decimals - 2))}%`;
  return {
    ...axis,
    Y,
    label: (v: number, percent?: boolean) => (percent ? pctLabel(v) : v.toFixed(axis.decimals)),
  };
}

/** An x scale on event time, clamped to [x0, x1], with the UTC date axis drawn. */
function timeScale(f: Frame, x0: number, x1: number) {
  const X = (x: number) => f.left + ((Math.min(Math.max(x, x0), x1) - x0) / (x1 - x0)) * (f.right - f.left);
  const ticks = timeTicks(x0, x1, Math.floor((f.right - f.left) / 80)).map(
    (t) =>
      `<line x1="${n1(X(t.at))}" y1="${f.top}" x2="${n1(X(t.at))}" y2="${f.bottom}" stroke="#f0f0f0"/>${text(X(t.at), f.bottom + 14, t.label, 'text-anchor="middle"')}`,
  );
  const axis =
    ticks.join('') + hline(f, f.bottom, '#999') + text(f.right, f.bottom + 24, 'UTC', 'text-anchor="end"');
  return { X, axis };
}

export interface LinePoint {
  x: number;
  /** null (or a non-finite number) leaves a gap. */
  y: number | null;
  /** Drawn as a highlighted marker. */
  breach?: boolean;
  /** Appended to the point's tooltip. */
  note?: string;
}

export interface LineSeries {
  name: string;
  points: LinePoint[];
  color?: string;
  dashed?: boolean;
}

/** A dashed horizontal line: a threshold or a reference value. */
export interface HLine {
  value: number;
  label: string;
  color?: string;
  /** `threshold` lines are classed so (and red by default), others `reference`. */
  kind?: 'threshold' | 'reference';
}

export interface LineChartOptions {
  /** Accessible name of the chart. */
  label: string;
  series: LineSeries[];
  /** The x domain (event time, epoch ms); widened to every point. */
  from: number;
  to: number;
  lines?: HLine[];
  /** Values the y axis must include (e.g. 0 and 1 for shares). */
  yInclude?: number[];
  percent?: boolean;
  width?: number;
  height?: number;
}

const ok = (y: number | null): y is number => y !== null && Number.isFinite(y);

/** A time-series line chart: several series, dashed horizontal lines, gaps at nulls, breaches highlighted. */
export function lineChart(o: LineChartOptions): string {
  const values = o.series.flatMap((s) => s.points.map((p) => p.y)).filter(ok);
  if (values.length === 0) return `<p class="muted">No values to chart for ${esc(o.label)}.</p>`;
  const lines = (o.lines ?? []).filter((l) => Number.isFinite(l.value));
  const lineColor = (l: HLine) => l.color ?? (l.kind === 'reference' ? '#666' : BREACH_COLOR);
  const items: LegendItem[] = o.series.map((s, i) => ({
    name: s.name,
    color: s.color ?? color(i),
    kind: s.dashed ? 'dashed' : 'line',
  }));
  for (const l of lines) items.push({ name: l.label, color: lineColor(l), kind: 'dashed' });
  if (o.series.some((s) => s.points.some((p) => p.breach && ok(p.y))))
    items.push({ name: 'breach', color: BREACH_COLOR, kind: 'dot' });
  const f = frame(o.width ?? 640, o.height ?? 220, 52, 16, items);
  const xs = o.series.flatMap((s) => s.points.map((p) => p.x));
  const x0 = Math.min(o.from, ...xs);
  const { X, axis } = timeScale(f, x0, Math.max(o.to, ...xs, x0 + 1));
  const y = yScale(f, values, [...lines.map((l) => l.value), ...(o.yInclude ?? [])]);
  const Y = y.Y;
  const grid = yGrid(f, y.ticks, Y, (v) => y.label(v, o.percent)) + axis;
  const hlines = lines
    .map(
      (l) =>
        `<line class="${l.kind ?? 'threshold'}" x1="${f.left}" y1="${n1(Y(l.value))}" x2="${f.right}" y2="${n1(Y(l.value))}" stroke="${lineColor(l)}" stroke-width="1.5" stroke-dasharray="6 4"><title>${esc(l.label)}: ${fmt(l.value)}</title></line>`,
    )
    .join('');
  const series = o.series
    .map((s, i) => {
      const c = s.color ?? color(i);
      const pts = [...s.points].sort((a, b) => a.x - b.x);
      let d = '';
      let pen = false;
      for (const p of pts) {
        if (!ok(p.y)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${n1(X(p.x))} ${n1(Y(p.y))}`;
        pen = true;
      }
      const marks = pts
        .filter((p): p is LinePoint & { y: number } => ok(p.y))
        .map((p) => {
          const tip = `<title>${esc(`${s.name} · ${fmtTime(p.x)}: ${o.percent ? pct(p.y) : fmt(p.y)}${p.note ? ` (${p.note})` : ''}`)}</title>`;
          return p.breach
            ? `<circle class="breach" cx="${n1(X(p.x))}" cy="${n1(Y(p.y))}" r="4.5" fill="${BREACH_COLOR}" stroke="#fff">${tip}</circle>`
            : `<circle cx="${n1(X(p.x))}" cy="${n1(Y(p.y))}" r="2.5" fill="${c}">${tip}</circle>`;
        })
        .join('');
      const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
      return `<g class="series" data-series="${esc(s.name)}"><path d="${d}" fill="none" stroke="${c}" stroke-width="2"${dash}/>${marks}</g>`;
    })
    .join('');
  return `${svgOpen('chart', f, o.label)}${grid}${hlines}${series}</svg>`;
}

export interface HistogramOptions {
  label: string;
  labels: string[];
  reference: number[];
  current: number[];
  width?: number;
  height?: number;
}

/** Reference and current shares on shared bins, overlaid: wide pale reference bars, narrower current ones. */
export function histogramChart(o: HistogramOptions): string {
  const n = o.labels.length;
  if (n === 0) return `<p class="muted">No distribution to draw for ${esc(o.label)}.</p>`;
  const f = frame(o.width ?? 420, o.height ?? 220, 44, 8, [
    { name: 'reference', color: REF_COLOR, kind: 'box' },
    { name: 'current', color: CUR_COLOR, kind: 'box' },
  ]);
  const shares = [...o.reference, ...o.current].filter((v) => Number.isFinite(v));
  const y = yScale(f, shares.length ? shares : [0], [0]);
  const Y = y.Y;
  const bw = (f.right - f.left) / n;
  const grid = yGrid(f, y.ticks, Y, (v) => y.label(v, true));
  const bars = o.labels
    .map((lab, i) => {
      const r = o.reference[i] ?? 0;
      const c = o.current[i] ?? 0;
      const tip = `<title>${esc(lab)}: reference ${pct(r)}, current ${pct(c)}</title>`;
      const x = f.left + i * bw;
      const rect = (v: number, dx: number, w: number, fill: string, op: number) =>
        `<rect x="${n1(x + dx)}" y="${n1(Y(Math.max(v, 0)))}" width="${n1(Math.max(w, 0.5))}" height="${n1(f.bottom - Y(Math.max(v, 0)))}" fill="${fill}" opacity="${op}">${tip}</rect>`;
      return rect(r, 0.5, bw - 1, REF_COLOR, 0.45) + rect(c, bw * 0.25, bw * 0.5, CUR_COLOR, 0.85);
    })
    .join('');
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((f.right - f.left) / 60))));
  const maxChars = Math.max(3, Math.floor((bw * every) / 6));
  const xLabels = o.labels
    .map((lab, i) =>
      i % every === 0
        ? text(f.left + (i + 0.5) * bw, f.bottom + 14, clip(lab, maxChars), 'text-anchor="middle"')
        : '',
    )
    .join('');
  return `${svgOpen('histogram', f, o.label)}${grid}${bars}${hline(f, f.bottom, '#999')}${xLabels}</svg>`;
}

export interface TimelineBar {
  start: number;
  /** Where the episode ended (resolved); null = still open, drawn to the end of the range. */
  end: number | null;
  severity: Severity;
  /** Where the alert opened inside the episode, marked with a tick. */
  opened?: number;
  tooltip: string;
}

export interface TimelineRow {
  label: string;
  bars: TimelineBar[];
}

const TIMELINE_LEGEND: LegendItem[] = [
  ...(['info', 'warning', 'critical'] as const).map(
    (s): LegendItem => ({ name: s, color: SEVERITY_COLORS[s], kind: 'box' }),
  ),
  { name: 'still open', color: '#555', kind: 'arrow' },
];

/** One row per rule and route, a bar per alert episode, coloured by severity; open ones run off the end. */
export function alertTimeline(o: {
  label: string;
  from: number;
  to: number;
  rows: TimelineRow[];
  width?: number;
}): string {
  if (o.rows.length === 0) return '<p class="muted">No alerts in this range.</p>';
  const rowH = 22;
  const f = frame(o.width ?? 900, 0, 190, 20, TIMELINE_LEGEND, o.rows.length * rowH);
  const x0 = Math.min(o.from, o.to - 1);
  const { X, axis } = timeScale(f, x0, o.to);
  const rows = o.rows
    .map((r, i) => {
      const y = f.top + i * rowH;
      const bars = r.bars
        .map((b) => {
          const xa = X(b.start);
          const xb = Math.max(X(b.end ?? o.to), xa + 3);
          const c = SEVERITY_COLORS[b.severity];
          const open = b.end === null;
          const tick =
            b.opened !== undefined
              ? `<line x1="${n1(X(b.opened))}" y1="${y + 3}" x2="${n1(X(b.opened))}" y2="${y + rowH - 3}" stroke="#222" stroke-width="1.5"/>`
              : '';
          const arrow = open
            ? `<polygon class="open" points="${n1(xb)},${y + 4} ${n1(xb + 8)},${y + rowH / 2} ${n1(xb)},${y + rowH - 4}" fill="${c}"/>`
            : '';
          return `<g class="alert-bar ${b.severity}${open ? ' open' : ''}"><title>${esc(b.tooltip)}</title><rect x="${n1(xa)}" y="${y + 4}" width="${n1(xb - xa)}" height="${rowH - 8}" rx="3" fill="${c}" opacity="0.85"/>${tick}${arrow}</g>`;
        })
        .join('');
      const name = `<text x="${f.left - 8}" y="${y + rowH / 2 + 3}" font-size="10" fill="#333" text-anchor="end"><title>${esc(r.label)}</title>${esc(clip(r.label, 34))}</text>`;
      return `<g class="timeline-row">${name}${bars}</g>`;
    })
    .join('');
  return `${svgOpen('timeline', f, o.label)}${axis}${rows}</svg>`;
}
