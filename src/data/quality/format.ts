/** Number and value formatting shared by the checks' `observed` texts and the report. */

/** `part` as a percentage of `whole`, one decimal; never shows 0% or 100% unless it is exactly that. */
export function pct(part: number, whole: number): string {
  const p = whole === 0 ? 0 : (part / whole) * 100;
  if (p === 0 || p === 100) return `${p}%`;
  const s = p.toFixed(1);
  // "100.0%" with one value missing would hide exactly the failure a reader looks for.
  if (s === '100.0') return '99.9%';
  if (s === '0.0') return '<0.1%';
  return `${s.replace(/\.0$/, '')}%`;
}

/** A number as a reader wants it: integers whole, others with six significant digits, no exponent. */
export function num(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1e5) return v.toFixed(1).replace(/\.0$/, '');
  return String(Number(v.toPrecision(6)));
}

/** A sample value for display: strings quoted (so " north" shows its space) and cut at 40 characters. */
export function show(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 39)}…` : v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  return String(v);
}

/** `[18, 100]`, `≥ 18` or `≤ 100`. */
export function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `[${num(min)}, ${num(max)}]`;
  return min !== undefined ? `≥ ${num(min)}` : `≤ ${num(max ?? Number.POSITIVE_INFINITY)}`;
}
