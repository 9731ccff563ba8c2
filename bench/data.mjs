// Data (issue 3): profiling 1,000,000 rows × 20 columns (10 numeric, 10 categorical) from CSV
// (target < 5 s) and from Parquet (< 2 s) through `keel data add`'s pipeline (read, type,
// profile, hash); then a drift report between two such versions from stored profiles (< 1 s).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { closeContext, openContext } from '../dist/context.js';
import { storageConfigFrom } from '../dist/core/config.js';
import { seededRandom } from '../dist/core/random.js';
import { diffVersions } from '../dist/data/diff.js';
import { prepareVersion } from '../dist/data/ingest.js';
import { driftReportHtml } from '../dist/data/report/html.js';
import { createVersion, resolveVersion } from '../dist/data/versions.js';
import { median, report, tempDir } from './lib.mjs';

const ROWS = Number(process.env.KEEL_BENCH_DATA_ROWS ?? 1_000_000);
const CATS = ['north', 'south', 'east', 'west', 'centre', 'coast', 'hills', 'plains'];

function columns(seed, shift) {
  const rnd = seededRandom(seed);
  const cols = [];
  for (let c = 0; c < 10; c++) {
    const data = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) data[i] = Math.round((rnd() * 1000 + shift * c) * 100) / 100;
    cols.push({ name: `num${c}`, data: Array.from(data), type: 'DOUBLE' });
  }
  for (let c = 0; c < 10; c++) {
    const k = 3 + c;
    cols.push({
      name: `cat${c}`,
      data: Array.from(
        { length: ROWS },
        () => `${CATS[Math.floor(rnd() * CATS.length)]}${Math.floor(rnd() * k)}`,
      ),
      type: 'STRING',
    });
  }
  return cols;
}

function writeCsv(file, cols) {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `${cols.map((c) => c.name).join(',')}\n`);
  let buf = '';
  for (let i = 0; i < ROWS; i++) {
    buf += `${cols.map((c) => c.data[i]).join(',')}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

async function timed(fn, runs) {
  const times = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = await fn();
    times.push(performance.now() - t);
  }
  return { ms: median(times), out };
}

/** Writes the benchmark files (run in a child process, so its ~1 GB of columns never share a heap with the timings). */
function generate(dir) {
  const ref = columns(1, 0);
  writeCsv(path.join(dir, 'ref.csv'), ref);
  fs.writeFileSync(path.join(dir, 'ref.parquet'), Buffer.from(parquetWriteBuffer({ columnData: ref })));
  writeCsv(path.join(dir, 'cur.csv'), columns(2, 40));
}

export async function benchData() {
  const dir = tempDir('data');
  try {
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--generate', dir], { stdio: 'inherit' });
    const mib = (f) => (fs.statSync(path.join(dir, f)).size / 2 ** 20).toFixed(0);
    console.log(
      `  generated ${ROWS} rows × 20 columns: CSV ${mib('ref.csv')} MiB, Parquet ${mib('ref.parquet')} MiB`,
    );

    const csv = await timed(() => prepareVersion([path.join(dir, 'ref.csv')]), 3);
    const pq = await timed(() => prepareVersion([path.join(dir, 'ref.parquet')]), 3);
    if (csv.out.rows !== ROWS || pq.out.rows !== ROWS)
      throw new Error(`expected ${ROWS} rows, got ${csv.out.rows} / ${pq.out.rows}`);
    const results = [
      report(
        `profile CSV ${ROWS} rows × 20 cols (read+type+profile+hash)`,
        csv.ms / 1000,
        's (median of 3)',
        5,
        false,
      ),
      report(`profile Parquet ${ROWS} rows × 20 cols`, pq.ms / 1000, 's (median of 3)', 2, false),
    ];

    // Two stored versions, the second profiled on the first's edges as `keel data add` does.
    const ctx = await openContext(storageConfigFrom({ dataDir: path.join(dir, '.keel') }, {}));
    try {
      const store = async (prepared) => {
        for (const f of prepared.files) await ctx.blobs.put(fs.createReadStream(f.absPath));
        const { absPath: _a, ...meta } = prepared.files[0];
        return createVersion(
          ctx,
          {
            name: 'bench',
            files: [meta],
            rows: prepared.rows,
            badRows: 0,
            schema: prepared.schema,
            profile: prepared.profile,
          },
          'bench',
        );
      };
      await store(csv.out);
      const edges = Object.fromEntries(
        csv.out.profile.columns.filter((c) => c.histogram).map((c) => [c.name, c.histogram.edges]),
      );
      await store(await prepareVersion([path.join(dir, 'cur.csv')], { edges }));
      const diff = await timed(async () => {
        const [a, b] = await Promise.all([
          resolveVersion(ctx.store.db, 'bench@1'),
          resolveVersion(ctx.store.db, 'bench@2'),
        ]);
        const d = diffVersions(a, b);
        return { d, html: driftReportHtml(d) };
      }, 5);
      console.log(
        `  drift: ${diff.out.d.dataset.driftedColumns} of ${diff.out.d.dataset.totalColumns} columns drifted; report ${(diff.out.html.length / 1024).toFixed(0)} KiB`,
      );
      results.push(
        report(
          'drift report between two 1M-row versions (load profiles + 20 tests + HTML)',
          diff.ms,
          'ms (median of 5)',
          1000,
          false,
        ),
      );
    } finally {
      await closeContext(ctx);
    }
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--generate') generate(process.argv[3]);
