/**
 * What canary analysis accumulates per route from the prediction log, small enough to store with
 * the rollout and merge tick after tick: row and failure counts, a latency sketch per request,
 * and the prediction's distribution (a quantile sketch of the score or value, counts per label).
 */
import { QuantileSketch } from '../stats/quantiles.js';

/** Labels tracked one by one; beyond that they pool in `otherLabels` (a classifier has few). */
const MAX_LABELS = 1000;

export interface RouteStats {
  /** Predicted rows logged. */
  rows: number;
  /** Rows of failed requests. */
  failedRows: number;
  /** Failed rows by reason (model_error, timeout, queue_full, unavailable). */
  reasons: Record<string, number>;
  /** Request latency in ms (one value per request), serialised QuantileSketch; null when none. */
  latency: string | null;
  /** Positive-class score or regression value, serialised QuantileSketch; null when none. */
  numeric: string | null;
  labels: Record<string, number>;
  otherLabels: number;
}

export const emptyStats = (): RouteStats => ({
  rows: 0,
  failedRows: 0,
  reasons: {},
  latency: null,
  numeric: null,
  labels: {},
  otherLabels: 0,
});

/** One logged row as analysis reads it. */
export interface LoggedRow {
  /** Row 0 of a request carries its latency (the others repeat it). */
  row: number;
  latencyUs: number;
  prediction: { label?: unknown; score?: unknown; value?: unknown };
}

/** A route's stats being built in memory; `toJSON` stores them again. */
export class StatsBuilder {
  private readonly s: RouteStats;
  private latency: QuantileSketch | null;
  private numeric: QuantileSketch | null;

  constructor(from: RouteStats = emptyStats()) {
    this.s = { ...from, reasons: { ...from.reasons }, labels: { ...from.labels } };
    this.latency = from.latency === null ? null : QuantileSketch.fromBase64(from.latency);
    this.numeric = from.numeric === null ? null : QuantileSketch.fromBase64(from.numeric);
  }

  addRow(r: LoggedRow): void {
    this.s.rows++;
    if (r.row === 0 && Number.isFinite(r.latencyUs)) {
      this.latency ??= new QuantileSketch();
      this.latency.add(Math.max(0, r.latencyUs) / 1000);
    }
    const p = r.prediction;
    const x = typeof p.score === 'number' ? p.score : typeof p.value === 'number' ? p.value : null;
    if (x !== null && Number.isFinite(x)) {
      this.numeric ??= new QuantileSketch();
      this.numeric.add(x);
    }
    if (p.label !== undefined && p.label !== null) {
      const k = String(p.label);
      if (k in this.s.labels || Object.keys(this.s.labels).length < MAX_LABELS)
        this.s.labels[k] = (this.s.labels[k] ?? 0) + 1;
      else this.s.otherLabels++;
    }
  }

  addFailures(rows: number, reasons: Record<string, number>): void {
    this.s.failedRows += rows;
    for (const [k, n] of Object.entries(reasons)) this.s.reasons[k] = (this.s.reasons[k] ?? 0) + n;
  }

  /** Folds another route's stats in (e.g. a step's primary into the rollout's baseline). */
  merge(o: RouteStats): void {
    this.s.rows += o.rows;
    this.addFailures(o.failedRows, o.reasons);
    if (o.latency !== null) {
      const other = QuantileSketch.fromBase64(o.latency);
      this.latency = this.latency ? this.latency.merge(other) : other;
    }
    if (o.numeric !== null) {
      const other = QuantileSketch.fromBase64(o.numeric);
      this.numeric = this.numeric ? this.numeric.merge(other) : other;
    }
    for (const [k, n] of Object.entries(o.labels)) {
      if (k in this.s.labels || Object.keys(this.s.labels).length < MAX_LABELS)
        this.s.labels[k] = (this.s.labels[k] ?? 0) + n;
      else this.s.otherLabels += n;
    }
    this.s.otherLabels += o.otherLabels;
  }

  toJSON(): RouteStats {
    return {
      ...this.s,
      latency: this.latency ? this.latency.toBase64() : null,
      numeric: this.numeric ? this.numeric.toBase64() : null,
    };
  }
}

/** All rows that reached the route: answered plus failed. */
export const totalRows = (s: RouteStats): number => s.rows + s.failedRows;

/** Failed share of the rows that reached the route; null when none did. */
export const errorRate = (s: RouteStats): number | null =>
  totalRows(s) === 0 ? null : s.failedRows / totalRows(s);

/** p99 of request latency (ms); null without answered requests. */
export function p99(s: RouteStats): number | null {
  if (s.latency === null) return null;
  const q = QuantileSketch.fromBase64(s.latency);
  return q.count === 0 ? null : q.quantile(0.99);
}
