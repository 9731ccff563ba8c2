/**
 * Suggests an expectations file from a reference profile, like SageMaker Model Monitor's
 * suggest-baseline: loose enough to pass on the reference itself, tight enough to catch a truncated
 * load, a schema change, a burst of nulls, out-of-range values or unseen categories. Every check
 * carries a comment saying where its numbers came from, so a reviewer can tighten or delete it.
 */
import { Document, isMap, isSeq } from 'yaml';
import type { ColumnProfile, ColumnType, DatasetProfile } from '../../stats/types.js';
import type { DataSchema } from '../formats/types.js';
import { num, pct } from './format.js';

/** Categorical columns with more categories than this get no in_set (it would be an unreadable list). */
export const MAX_SET_SIZE = 50;
/**
 * Relative error tolerated between the HyperLogLog distinct estimate and the non-null count for
 * `unique`: ~2.5 standard errors at 16k registers (1.04/√16384 ≈ 0.8%).
 */
export const HLL_TOLERANCE = 0.02;
/** in_range bounds are the reference min/max widened by this fraction of the range on each side. */
export const RANGE_MARGIN = 0.1;

interface Suggestion {
  exp: Record<string, unknown>;
  why: string;
}

/** Suggests expectations (YAML text with comments) from a reference profile and its schema. */
export function suggestExpectations(profile: DatasetProfile, schema: DataSchema): string {
  const rows = profile.rows;
  const out: Suggestion[] = [
    {
      exp: { check: 'row_count', min: Math.floor(rows / 2) },
      why: `at least half the reference's ${rows} rows: catches truncated or partial loads, tolerates normal batch-size variation`,
    },
    {
      exp: {
        check: 'schema',
        columns: Object.fromEntries(schema.columns.map((c) => [c.name, c.type])),
        exact: false,
      },
      why: 'every reference column with its type; extra columns are allowed (set exact: true to forbid them)',
    },
  ];
  for (const sc of schema.columns) {
    const col = profile.columns.find((c) => c.name === sc.name);
    if (col && col.count > 0) out.push(...forColumn(col, sc.type));
  }

  // Every list is its own object anyway; without this yaml would write in_set's values as an anchor.
  const doc = new Document({ expectations: out.map((s) => s.exp) }, { aliasDuplicateObjects: false });
  doc.commentBefore =
    ` Suggested by keel from a reference profile (${rows} rows, ${schema.columns.length} columns).\n` +
    ' Review before use: bounds are the reference widened by margins, not business rules.' +
    (schema.columns.some((c) => c.type === 'datetime')
      ? '\n No in_range on datetime columns: time moves forward, new data is outside the reference by design.'
      : '');
  const seq = doc.get('expectations', true);
  if (isSeq(seq))
    seq.items.forEach((item, i) => {
      if (!isMap(item)) return;
      item.commentBefore = wrap(out[i]!.why);
      // Value lists read better on one line.
      for (const key of ['values', 'reference']) {
        const list = item.get(key, true);
        if (isSeq(list)) list.flow = true;
      }
    });
  return doc.toString({ lineWidth: 110 });
}

/** A comment wrapped at ~100 characters, each line starting with a space after yaml's `#`. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length > 100) {
      lines.push(line);
      line = '';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

function forColumn(col: ColumnProfile, type: ColumnType): Suggestion[] {
  const out: Suggestion[] = [];
  const column = col.name;
  const nonNull = col.count - col.missing;

  if (col.missing === 0)
    out.push({ exp: { check: 'not_null', column }, why: 'no missing values in the reference' });
  else {
    // Floor to two decimals (+1e-9 absorbs 0.29 * 100 = 28.999…), then one point of margin.
    const mostly = (Math.floor((nonNull / col.count) * 100 + 1e-9) - 1) / 100;
    if (mostly > 0)
      out.push({
        exp: { check: 'not_null', column, mostly },
        why: `${pct(nonNull, col.count)} non-null in the reference, floored to 2 decimals minus 0.01 of margin`,
      });
  }

  const unique = isIdentifier(col, type, nonNull);
  const m = col.moments;
  // Identifiers grow: new ids fall outside the reference range by design.
  if ((type === 'integer' || type === 'float') && m && m.count > 0 && !unique) {
    const [min, max, clamped] = widen(m.min, m.max, type === 'integer');
    out.push({
      exp: { check: 'in_range', column, min, max },
      why:
        `reference range [${num(m.min)}, ${num(m.max)}] widened by ${RANGE_MARGIN * 100}% of its width on each side` +
        (clamped ? ', not below 0 (the reference has no negative values)' : ''),
    });
  }

  const top = col.top;
  if (type === 'categorical' && top?.exact && top.items.length > 0 && top.items.length <= MAX_SET_SIZE) {
    const values = top.items.map(([v]) => v).sort();
    out.push(
      {
        exp: { check: 'in_set', column, values },
        why: `the reference's ${values.length} categories (exact counts); mostly defaults to 1.0`,
      },
      {
        exp: { check: 'no_new_categories', column, reference: [...values] },
        why: 'fails on any category the reference never saw: a model would meet it unseen',
      },
    );
  }

  if (unique)
    out.push({
      exp: { check: 'unique', column },
      why:
        `~${col.distinctEstimate} distinct (HyperLogLog estimate) of ${nonNull} values: an identifier. If this fails on ` +
        `the reference itself, a few duplicates hid in the estimate's ±${HLL_TOLERANCE * 100}% error: delete it`,
    });
  return out;
}

/** Integer/text column whose distinct estimate matches its non-null count within HLL error. */
function isIdentifier(col: ColumnProfile, type: ColumnType, nonNull: number): boolean {
  if ((type !== 'integer' && type !== 'text') || nonNull < 2) return false;
  // An exact top-k that counted some value twice settles it whatever the estimate says.
  const first = col.top?.items[0];
  if (first && first[1] > 1) return false;
  return Math.abs(col.distinctEstimate - nonNull) <= HLL_TOLERANCE * nonNull;
}

/** [min, max] widened by RANGE_MARGIN of the width, rounded outwards; flags a clamp at 0. */
function widen(min: number, max: number, integer: boolean): [number, number, boolean] {
  // A constant column has no width: widen by 10% of its magnitude instead.
  const pad = RANGE_MARGIN * (max > min ? max - min : Math.abs(min));
  let lo = min - pad;
  let hi = max + pad;
  const clamped = min >= 0 && lo < 0;
  if (clamped) lo = 0;
  if (pad > 0) {
    // Round outwards to two significant digits of the pad: 7000 rather than 6999.87.
    const step = 10 ** (Math.floor(Math.log10(pad)) - 1);
    lo = Number((Math.floor(lo / step) * step).toPrecision(12));
    hi = Number((Math.ceil(hi / step) * step).toPrecision(12));
  }
  if (integer) {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
  }
  // Rounding must never cut into the reference itself.
  return [Math.min(lo, min), Math.max(hi, max), clamped];
}
