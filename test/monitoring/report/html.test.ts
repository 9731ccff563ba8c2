import { describe, expect, it } from 'vitest';
import { monitorReportHtml } from '../../../src/monitoring/report/html.js';
import { driftSeverity } from '../../../src/monitoring/report/sections.js';
import {
  alertTimeline,
  fmtTime,
  histogramChart,
  lineChart,
  pct,
} from '../../../src/monitoring/report/svg.js';
import { buildReport, DAY, dayStart, emptyReport, FROM, TO } from './fixture.js';

/** The HTML between one `<section class="…">` opening and the next section (or the end). */
function section(html: string, cls: string, title: string): string {
  const parts = html.split(`<section class="${cls}"`).slice(1);
  const hit = parts.find((p) => p.slice(p.indexOf('<h3>') + 4).startsWith(title));
  if (!hit) throw new Error(`no ${cls} section for ${title}`);
  return hit;
}

/** The `<g class="series">` groups of an SVG fragment, by their data-series name. */
const seriesNames = (fragment: string): string[] =>
  [...fragment.matchAll(/<g class="series" data-series="([^"]*)"><path d="([^"]*)"/g)].map((m) => m[1]!);

describe('monitorReportHtml', () => {
  const report = buildReport();
  const html = monitorReportHtml(report);

  it('is a complete, self-contained HTML document', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const tag of [
      '<html lang="en">',
      '<head>',
      '<meta charset="utf-8">',
      '<title>',
      '<body>',
      '</body></html>',
    ])
      expect(html).toContain(tag);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|url\(/i);
    expect(html).toContain('Monitoring report: loans');
    expect(html).toContain('loans-api');
    expect(html).toContain('2026-03-01 → 2026-03-15 UTC');
    expect(html).toContain('loans@4 (training data of credit@3)');
    expect(html).toContain('every 1d');
  });

  it('draws every feature with its method and threshold, worst (most often drifted) first', () => {
    const order = ['salary', 'region', 'age'].map((f) => html.indexOf(`<h3>${f} <small>`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const cases = [
      ['salary', 'psi', '0.2'],
      ['region', 'jensenshannon', '0.1'],
      ['age', 'wasserstein', '0.1'],
    ] as const;
    for (const [feature, method, threshold] of cases) {
      const s = section(html, 'feature', `${feature} <small>`);
      expect(s).toContain(`${method} statistic`);
      expect(s).toMatch(
        new RegExp(`<line class="threshold"[^>]*><title>threshold ${threshold}: ${threshold}</title>`),
      );
      expect(s).toContain(`<svg class="chart"`);
      expect(s).toContain(`<svg class="histogram"`);
    }
    expect(section(html, 'feature', 'salary <small>')).toContain('drifted in 10 of 18 windows');
    expect(section(html, 'feature', 'age <small>')).toContain('drifted in 0 of 18 windows');
    expect(section(html, 'feature', 'salary <small>')).toMatch(/<circle class="breach"/);
    expect(section(html, 'feature', 'age <small>')).not.toMatch(/<circle class="breach"/);
  });

  it("shows the worst window's reference-vs-current histogram for a drifted feature", () => {
    const entries = report.windows.map((w) => ({ w, d: w.drift.find((d) => d.column === 'salary')! }));
    let worst = entries[0]!;
    for (const e of entries) if (driftSeverity(e.d) > driftSeverity(worst.d)) worst = e;
    expect(worst.w.windowStart).toBe(dayStart(14));
    expect(worst.w.route).toBe('primary');
    const s = section(html, 'feature', 'salary <small>');
    expect(s).toContain('aria-label="salary: reference vs current, window 2026-03-14 (primary)"');
    expect(s).toContain(`Worst window 2026-03-14 (primary): psi = ${worst.d.statistic} vs threshold 0.2`);
    worst.d.bins.labels.forEach((label, i) => {
      expect(s).toContain(
        `<title>${label}: reference ${pct(worst.d.bins.reference[i])}, current ${pct(worst.d.bins.current[i])}</title>`,
      );
    });
    // Not some calmer window's distribution: day 1's current share of the top bin differs.
    const calm = entries[0]!.d.bins;
    expect(calm.current[9]).not.toBe(worst.d.bins.current[9]);
  });

  it('shows prediction drift the same way', () => {
    const s = section(html, 'feature', 'prediction <small>');
    expect(html.indexOf('id="prediction-drift"')).toBeLessThan(html.indexOf('<h3>prediction <small>'));
    expect(s).toContain('<line class="threshold"');
    expect(s).toContain('aria-label="prediction: reference vs current, window');
  });

  it('charts realised and estimated performance together, with the reference dashed', () => {
    const s = section(html, 'metric', 'accuracy</h3>');
    const names = seriesNames(s);
    expect(names).toEqual([
      'accuracy · primary',
      'estimated accuracy · primary',
      'estimated accuracy · canary',
    ]);
    expect(s).toMatch(
      /<path d="M[^"]+L[^"]+" fill="none" stroke="[^"]+" stroke-width="2" stroke-dasharray="5 3"\/>/,
    );
    expect(s).toMatch(
      /<line class="reference"[^>]*stroke-dasharray="6 4"><title>reference accuracy 0.87: 0.87<\/title>/,
    );
    // Realised stops after day 10 (labels still arriving): 10 markers, the estimate has all 14.
    const groups = s.split('<g class="series"').slice(1);
    expect(groups[0]!.match(/<circle/g)).toHaveLength(10);
    expect(groups[1]!.match(/<circle/g)).toHaveLength(14);
    expect(html).toContain('Label coverage');
    expect(html).toContain('aria-label="label coverage over time"');
  });

  it('puts the alert in the timeline and the table', () => {
    const timeline = html.slice(
      html.indexOf('<svg class="timeline"'),
      html.indexOf('</svg>', html.indexOf('<svg class="timeline"')),
    );
    expect(timeline).toContain('dataset drift · primary');
    expect(timeline).toContain('<g class="alert-bar warning">');
    expect(timeline).not.toContain('class="open"');
    const table = html.slice(
      html.indexOf('<table class="alerts">'),
      html.indexOf('</table>', html.indexOf('<table class="alerts">')),
    );
    expect(table).toContain('dataset drift<br><code>drift_share &gt;= 0.5</code>');
    expect(table).toContain('<span class="sev warning">warning</span>');
    expect(table).toContain(
      '<td>resolved</td><td>2026-03-09</td><td>2026-03-10</td><td>2026-03-13</td><td>0.6667</td>',
    );
    expect(table).toContain('drift_share 0.67 &gt;= 0.5 for 2 windows (salary, region drifted)');
    expect(html).toContain('No open alerts');
  });

  it('compares the routes and overlays them in the charts', () => {
    expect(html).toContain('<table class="routes">');
    const routes = html.slice(
      html.indexOf('<table class="routes">'),
      html.indexOf('</table>', html.indexOf('<table class="routes">')),
    );
    expect(routes).toContain('<td><b>primary</b></td><td>2026-03-14</td>');
    expect(routes).toContain('<td><b>canary</b></td><td>2026-03-14</td><td>4</td><td>240</td>');
    expect(seriesNames(section(html, 'feature', 'salary <small>'))).toEqual([
      'psi statistic · primary',
      'psi statistic · canary',
    ]);
    const single = monitorReportHtml(buildReport({ canary: false }));
    expect(single).not.toContain('<table class="routes">');
    expect(seriesNames(section(single, 'feature', 'salary <small>'))).toEqual(['psi statistic']);
  });

  it('summarises the verdict: worst drift share and latest realised vs estimated', () => {
    expect(html).toContain('Worst drift share 67%</b>in 2026-03-09 (primary)');
    expect(html).toMatch(
      /Latest accuracy: realised 0\.8 \(2026-03-10\)<\/b>estimated 0\.785 \(2026-03-14\) · reference 0\.87/,
    );
  });

  it('reports quality: missing rates, new categories, extra features', () => {
    const q = html.slice(html.indexOf('id="quality"'), html.indexOf('id="performance"'));
    expect(seriesNames(q)).toEqual([
      'salary · primary',
      'salary · canary',
      'salary · primary',
      'salary · canary',
    ]);
    expect(q).toContain(
      '<td>region</td><td><code>central</code></td><td>5</td><td>2026-03-10 (primary)</td><td>4.0%</td>',
    );
    expect(q).toContain('<td>channel</td><td>extra</td><td>2</td><td>2026-03-14 (primary)</td>');
  });

  it('escapes text instead of injecting it', () => {
    const evil = monitorReportHtml(buildReport({ features: ['<b>x', 'salary"><script>', "o'k&co"] }));
    expect(evil).not.toContain('<b>x');
    expect(evil).not.toMatch(/<script/i);
    expect(evil).toContain('&lt;b&gt;x');
    expect(evil).toContain('salary&quot;&gt;&lt;script&gt;');
    expect(evil).toContain('o&#39;k&amp;co');
  });

  it('renders an empty report with a clear message', () => {
    const out = monitorReportHtml(emptyReport());
    expect(out.startsWith('<!doctype html>')).toBe(true);
    expect(out).toContain('</body></html>');
    expect(out).toContain('No monitoring results in this range.');
    expect(out).toContain('No alerts in this range.');
    expect(out).not.toContain('<svg');
  });

  it('is deterministic', () => {
    expect(monitorReportHtml(buildReport())).toBe(html);
    expect(monitorReportHtml(structuredClone(report))).toBe(html);
  });
});

describe('svg helpers', () => {
  it('leaves gaps at nulls, marks points and breaches, labels dates in UTC', () => {
    const svg = lineChart({
      label: 'x',
      from: FROM,
      to: FROM + 5 * DAY,
      series: [
        {
          name: 'a',
          points: [0, 1, 2, 3, 4].map((i) => ({
            x: FROM + i * DAY,
            y: i === 2 ? null : i / 10,
            breach: i === 4,
          })),
        },
      ],
      lines: [{ value: 0.25, label: 'threshold 0.25' }],
    });
    const d = svg.match(/<path d="([^"]*)"/)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
    const marks = svg.slice(svg.indexOf('<g class="series"'));
    expect(marks.match(/<circle/g)).toHaveLength(4);
    expect(svg.match(/<circle class="breach"/g)).toHaveLength(1);
    expect(svg).toContain('>03-01</text>');
    expect(svg).toContain('>03-05</text>');
    expect(svg).toContain('>UTC</text>');
    expect(svg).toContain('<line class="threshold"');
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(
      lineChart({
        label: 'none',
        from: FROM,
        to: TO,
        series: [{ name: 'a', points: [{ x: FROM, y: null }] }],
      }),
    ).toContain('No values to chart');
  });

  it('overlays histogram bars and handles empty bins', () => {
    const svg = histogramChart({
      label: 'h',
      labels: ['a', 'b'],
      reference: [0.5, 0.5],
      current: [0.2, 0.8],
    });
    expect(svg.match(/<rect/g)!.length).toBeGreaterThanOrEqual(4);
    expect(svg).toContain('<title>b: reference 50.0%, current 80.0%</title>');
    expect(histogramChart({ label: 'h', labels: [], reference: [], current: [] })).toContain(
      'No distribution',
    );
  });

  it('marks open alerts running to the end of the range, coloured by severity', () => {
    const svg = alertTimeline({
      label: 't',
      from: FROM,
      to: TO,
      rows: [
        {
          label: 'r · canary',
          bars: [{ start: dayStart(12), end: null, severity: 'critical', tooltip: 'open one' }],
        },
        {
          label: 'r · primary',
          bars: [{ start: dayStart(2), end: dayStart(4), severity: 'info', tooltip: 'done' }],
        },
      ],
    });
    expect(svg).toContain('<g class="alert-bar critical open">');
    expect(svg).toContain('<polygon class="open"');
    expect(svg).toContain('<g class="alert-bar info">');
    expect(svg).toContain('fill="#D62728"');
  });

  it('formats times in UTC', () => {
    expect(fmtTime(Date.UTC(2026, 0, 2))).toBe('2026-01-02');
    expect(fmtTime(Date.UTC(2026, 0, 2, 13, 5))).toBe('2026-01-02 13:05');
  });
});
