import path from 'node:path';
import { invalidParam } from '../../core/errors.js';
import { openCsv } from './csv.js';
import { openJsonl } from './jsonl.js';
import { openParquet } from './parquet.js';
import type { ReadOptions, TableFormat, TableReader } from './types.js';

export type { BadRow, RawRow, ReadOptions, TableFormat, TableReader } from './types.js';

const BY_EXTENSION: Record<string, { format: TableFormat; delimiter?: string }> = {
  '.csv': { format: 'csv' },
  '.tsv': { format: 'csv', delimiter: '\t' },
  '.jsonl': { format: 'jsonl' },
  '.ndjson': { format: 'jsonl' },
  '.parquet': { format: 'parquet' },
};

/** The format (and default delimiter) `file` is read as: `opts.format` if given, else its extension. */
export function detectFormat(
  file: string,
  opts: ReadOptions = {},
): { format: TableFormat; delimiter?: string } {
  const byExt = BY_EXTENSION[path.extname(file).toLowerCase()];
  if (opts.format)
    return { format: opts.format, ...(byExt?.format === opts.format ? { delimiter: byExt.delimiter } : {}) };
  if (!byExt) {
    throw invalidParam(
      `${file}: unknown table format (extension "${path.extname(file)}"); use .csv, .tsv, .jsonl, .ndjson or .parquet, or name the format`,
      'format',
    );
  }
  return byExt;
}

/** Opens a tabular file as a streaming reader; the format comes from `opts.format` or the extension. */
export async function openTable(file: string, opts: ReadOptions = {}): Promise<TableReader> {
  const { format, delimiter } = detectFormat(file, opts);
  switch (format) {
    case 'csv':
      return openCsv(file, { ...opts, delimiter: opts.delimiter ?? delimiter ?? ',' });
    case 'jsonl':
      return openJsonl(file, opts);
    case 'parquet':
      return openParquet(file, opts);
    default:
      throw invalidParam(`unknown table format "${String(format)}"`, 'format');
  }
}

/** Whether a file is one Keel reads as a table (by extension); other files are stored unprofiled. */
export function isTabular(file: string): boolean {
  try {
    detectFormat(file);
    return true;
  } catch {
    return false;
  }
}
