import Table from 'cli-table3';
import pc from 'picocolors';

/** Prints a value as pretty JSON (the `--json` output of every listing). */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, jsonNumbers, 2)}\n`);
};

// JSON has no NaN/Infinity: print them the way the APIs do.
function jsonNumbers(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

const MAX_CELL = 48;
const cell = (c: string | number): string => {
  const s = String(c);
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
};

/** Prints rows as a terminal table; long cells are cut (`--json` has the full values). */
export function printTable(head: string[], rows: (string | number)[][]): void {
  const t = new Table({ head: head.map((h) => pc.bold(h)), style: { head: [], border: [] } });
  t.push(...rows.map((r) => r.map(cell)));
  process.stdout.write(`${t.toString()}\n`);
}

export const fmtTime = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** Bytes as B, KiB, MiB, GiB or TiB. */
export const fmtBytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
};

export const fmtNumber = (v: number | undefined): string => {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const p = v.toPrecision(6);
  // Trailing zeros only after a decimal point (and not inside an exponent form).
  return p.includes('.') && !p.includes('e') ? p.replace(/\.?0+$/, '') : p;
};

/** Prints an error as one clear line and exits non-zero. */
export function fail(err: unknown, exitCode = 1): never {
  const e = err as { code?: string; message?: string };
  const code = e.code && /^[A-Z_]+$/.test(e.code) ? `${e.code}: ` : '';
  process.stderr.write(`${pc.red('error')}: ${code}${e.message ?? String(err)}\n`);
  process.exit(exitCode);
}
