// Profiling: 1,000,000 rows × 20 columns (10 numeric, 10 categorical) through the compiled
// DatasetProfiler, in-process. Target: well under 3 s (the whole CSV pipeline has 5 s).
// Rows are generated in chunks outside the timed section; category strings are built fresh per
// row (as a CSV parser hands them over), so their hashing is paid for as in real use.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../dist/core/random.js';
import { ROOT, report } from './lib.mjs';

const ROWS = Number(process.env.KEEL_BENCH_PROFILE_ROWS ?? 1_000_000);
const CHUNK = 10_000;
// Distinct values per categorical column: from binary to past the top-k cap (Space-Saving kicks in).
const CARDINALITIES = [2, 3, 5, 10, 20, 50, 100, 500, 1000, 5000];

const rng = seededRandom;

function makeChunk(rand, n) {
  const rows = new Array(n);
  for (let r = 0; r < n; r++) {
    const row = new Array(20);
    // Numeric: integers, floats across magnitudes, negatives, a skewed one, 1 % missing in two.
    row[0] = 20 + Math.floor(rand() * 61);
    row[1] = 20_000 + rand() * 130_000;
    row[2] = rand() < 0.01 ? null : (rand() - 0.5) * 1000;
    row[3] = Math.exp(rand() * 10);
    row[4] = Math.floor(rand() * 5);
    row[5] = rand();
    row[6] = 1_700_000_000_000 + Math.floor(rand() * 86_400_000);
    row[7] = rand() < 0.01 ? null : Math.floor(rand() * 1_000_000);
    row[8] = (rand() + rand() + rand() - 1.5) * 3;
    row[9] = rand() * 1e-3;
    for (let c = 0; c < 10; c++) {
      const k = Math.floor(rand() ** 2 * CARDINALITIES[c]);
      row[10 + c] = `v${k}`;
    }
    rows[r] = row;
  }
  return rows;
}

export async function benchProfile() {
  const { DatasetProfiler } = await import(pathToFileURL(path.join(ROOT, 'dist/stats/profile.js')).href);
  const schema = [
    ...['age', 'salary', 'delta', 'skewed', 'level', 'unit'].map((name) => ({ name, type: 'float' })),
    { name: 'ts', type: 'datetime' },
    { name: 'id', type: 'integer' },
    { name: 'noise', type: 'float' },
    { name: 'tiny', type: 'float' },
    ...CARDINALITIES.map((k) => ({ name: `cat${k}`, type: 'categorical' })),
  ];
  const rand = rng(42);
  const profiler = new DatasetProfiler(schema);
  let ms = 0;
  const cpu0 = process.cpuUsage();
  let genCpu = 0;
  for (let done = 0; done < ROWS; done += CHUNK) {
    const g = process.cpuUsage();
    const rows = makeChunk(rand, Math.min(CHUNK, ROWS - done));
    const gd = process.cpuUsage(g);
    genCpu += (gd.user + gd.system) / 1000;
    const t = performance.now();
    for (const row of rows) profiler.addRow(row);
    ms += performance.now() - t;
  }
  const t = performance.now();
  const profile = profiler.finish();
  const finishMs = performance.now() - t;
  ms += finishMs;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 - genCpu;
  const bytes = JSON.stringify(profile).length;
  console.log(
    `  profile: ${ROWS.toLocaleString('en')} rows × ${schema.length} columns in ${ms.toFixed(0)} ms ` +
      `(finish ${finishMs.toFixed(0)} ms, ~${cpuMs.toFixed(0)} ms CPU incl. GC), profile JSON ${(bytes / 1024).toFixed(0)} KiB`,
  );
  return report(`profile ${ROWS / 1e6}M rows × 20 columns`, ms, 'ms', 3000, false);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchProfile();
