/**
 * A CSV request body (header + rows) parsed in memory. The dataset reader in
 * `src/data/formats/csv.ts` streams files from disk and does not export its parser, so this is a
 * small synchronous one with the same rules: records end at `\n` or `\r\n`; a field starting with
 * `"` is quoted (`""` is a quote; delimiters and line breaks inside are data); a quote elsewhere is
 * kept literally; empty lines are skipped but counted; every row has as many fields as the header.
 */
import { invalidParam } from '../../core/errors.js';

/** The header, the rows, and the (1-based) line each row starts on. */
export interface CsvText {
  header: string[];
  rows: string[][];
  lines: number[];
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;

/** Parses a CSV body; INVALID_PARAMETER_VALUE naming the line on a ragged row or unclosed quote. */
export function parseCsvText(text: string, field = 'body'): CsvText {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = s.length;
  const records: string[][] = [];
  const lines: number[] = [];
  let pos = 0;
  let line = 1;
  let quote = s.indexOf('"');
  if (quote < 0) quote = n;
  while (pos < n) {
    let stop = s.indexOf('\n', pos);
    if (stop < 0) stop = n;
    if (quote < pos) {
      quote = s.indexOf('"', pos);
      if (quote < 0) quote = n;
    }
    if (quote >= stop) {
      // No quote on this line: split it.
      const end = stop > pos && s.charCodeAt(stop - 1) === CR ? stop - 1 : stop;
      if (end > pos) {
        records.push(s.slice(pos, end).split(','));
        lines.push(line);
      }
      line++;
      pos = stop + 1;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    let i = pos;
    for (;;) {
      let value = '';
      if (s.charCodeAt(i) === QUOTE) {
        let j = i + 1;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q < 0) {
            throw invalidParam(
              `CSV line ${start}: unterminated quoted field (the quote is never closed)`,
              field,
            );
          }
          for (let k = j; k < q; k++) if (s.charCodeAt(k) === LF) line++;
          value += s.slice(j, q);
          if (s.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        const c = s.charCodeAt(i);
        if (i >= n || c === LF || (c === CR && s.charCodeAt(i + 1) === LF)) {
          fields.push(value);
          pos = c === CR ? i + 2 : i + 1;
          break;
        }
        if (c === COMMA) {
          fields.push(value);
          i++;
          continue;
        }
        // Text after the closing quote: the field is literal from here on.
        value = `"${value}"`;
      }
      const comma = s.indexOf(',', i);
      let e = s.indexOf('\n', i);
      if (e < 0) e = n;
      if (comma >= 0 && comma < e) {
        fields.push(value + s.slice(i, comma));
        i = comma + 1;
        continue;
      }
      fields.push(value + s.slice(i, e > i && s.charCodeAt(e - 1) === CR ? e - 1 : e));
      pos = e + 1;
      break;
    }
    records.push(fields);
    lines.push(start);
    line++;
  }
  const header = records[0];
  if (!header)
    throw invalidParam('the CSV body is empty: send a header row, then one row per prediction', field);
  if (records.length < 2) throw invalidParam('the CSV body has a header but no rows', field);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h))
      throw invalidParam(`CSV line ${lines[0]}: column ${h} appears twice in the header`, field);
    seen.add(h);
  }
  for (let r = 1; r < records.length; r++) {
    if (records[r]!.length !== header.length) {
      throw invalidParam(
        `CSV line ${lines[r]}: expected ${header.length} fields (as in the header), got ${records[r]!.length}`,
        field,
      );
    }
  }
  return { header, rows: records.slice(1), lines: lines.slice(1) };
}
