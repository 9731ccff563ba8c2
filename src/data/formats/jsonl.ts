import fs from 'node:fs';
import readline from 'node:readline';
import { invalidParam } from '../../core/errors.js';
import type { BadRow, RawRow, ReadOptions, TableReader } from './types.js';

/**
 * JSON Lines reader: one JSON object per line, streamed line by line. The columns are the union of
 * keys, in first-seen order, over the first `HEADER_ROWS` objects; keys first seen later are ignored
 * (a file whose shape drifts needs a schema file). A line that is not valid JSON or not an object
 * is a malformed row; blank lines are skipped. A key absent from a row reads as null.
 */
export const HEADER_ROWS = 1000;

type Item = { line: number; obj: Record<string, unknown> } | { line: number; error: string };

async function* lines(file: string): AsyncGenerator<Item> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const rl = readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      // A UTF-8 BOM would make the first line invalid JSON.
      const t = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (t === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(t);
      } catch (e) {
        yield { line, error: `invalid JSON: ${(e as Error).message}` };
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        const got = Array.isArray(value) ? 'an array' : JSON.stringify(value).slice(0, 40);
        yield { line, error: `not a JSON object (got ${got})` };
        continue;
      }
      yield { line, obj: value as Record<string, unknown> };
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw invalidParam(`${file}: no such file`, 'file');
    if (err.code === 'EISDIR') throw invalidParam(`${file}: is a directory, not a JSON Lines file`, 'file');
    throw e;
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** Opens a JSON Lines file: scans the first objects for the columns now, rows on demand. */
export async function openJsonl(file: string, opts: ReadOptions = {}): Promise<TableReader> {
  const keys = new Set<string>();
  let seen = 0;
  for await (const item of lines(file)) {
    if (!('obj' in item)) continue;
    for (const k of Object.keys(item.obj)) keys.add(k);
    if (++seen >= HEADER_ROWS) break;
  }
  const columns = [...keys];
  const bad: BadRow[] = [];
  return {
    file,
    format: 'jsonl',
    columns,
    bad,
    // Each call is a fresh pass over the file; `bad` is cleared so it holds this pass's rows.
    async *rows(): AsyncGenerator<RawRow> {
      bad.length = 0;
      for await (const item of lines(file)) {
        if ('error' in item) {
          if (opts.strict) throw invalidParam(`${file}: line ${item.line}: ${item.error}`, 'file');
          bad.push({ file, line: item.line, reason: item.error });
          continue;
        }
        const obj = item.obj;
        yield { file, line: item.line, values: columns.map((c) => (Object.hasOwn(obj, c) ? obj[c] : null)) };
      }
    },
  };
}
