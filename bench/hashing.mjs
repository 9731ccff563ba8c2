// File hashing: Keel's hashFiles (dist, worker pool) against coreutils `sha256sum` on the same files.
// Targets: one 1 GiB file at ≥ 0.9× sha256sum's throughput; 2,000 × 1 MiB files faster than it (> 1×).
// Both read from the page cache (each side runs twice, the best run counts), so this measures hashing
// and I/O overhead rather than the disk. KEEL_BENCH_HASH_BIG_MIB / _SMALL_FILES shrink it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, report, tempDir } from './lib.mjs';

const BIG = Number(process.env.KEEL_BENCH_HASH_BIG_MIB ?? 1024) * 2 ** 20;
const SMALL_FILES = Number(process.env.KEEL_BENCH_HASH_SMALL_FILES ?? 2000);
const SMALL = 2 ** 20;
const BLOCK = 4 * 2 ** 20;

/** Writes `size` bytes that never repeat a 4 MiB block (a counter is stamped into each). */
function writeFile(file, size, seed) {
  const block = randomBytes(BLOCK);
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0, n = 0; off < size; off += BLOCK, n++) {
      block.writeUInt32LE(n, 0);
      block.writeUInt32LE(seed, 4);
      fs.writeSync(fd, block, 0, Math.min(BLOCK, size - off));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** sha256sum over `files` (one process, as a user would run it): seconds and digests by path. */
function sha256sum(files) {
  const t = performance.now();
  const r = spawnSync('sha256sum', files, { maxBuffer: 64 * 2 ** 20, encoding: 'utf8' });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`sha256sum failed: ${r.stderr}`);
  const digests = new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(66), l.slice(0, 64)]),
  );
  return { seconds, digests };
}

async function keel(hashFiles, files) {
  const t = performance.now();
  const results = await hashFiles(files);
  return { seconds: (performance.now() - t) / 1000, results };
}

/** Best of two runs each, alternating; checks both sides agree on every digest. */
async function compare(hashFiles, files, bytes) {
  let sum = Number.POSITIVE_INFINITY;
  let ours = Number.POSITIVE_INFINITY;
  let threads = 0;
  for (let run = 0; run < 2; run++) {
    const s = sha256sum(files);
    const k = await keel(hashFiles, files);
    for (const f of files) {
      if (k.results.get(f)?.sha256 !== s.digests.get(f)) throw new Error(`digest mismatch on ${f}`);
    }
    sum = Math.min(sum, s.seconds);
    ours = Math.min(ours, k.seconds);
    threads = k.results.threads;
  }
  const mibs = (sec) => bytes / 2 ** 20 / sec;
  return { sum: mibs(sum), ours: mibs(ours), threads };
}

/** Runs both comparisons; returns one report per target. */
export async function benchHashing() {
  const { hashFiles } = await import(path.join(ROOT, 'dist/data/hashing/index.js'));
  const dir = tempDir('hashing');
  try {
    const big = path.join(dir, 'big.bin');
    writeFile(big, BIG, 0);
    const small = [];
    for (let i = 0; i < SMALL_FILES; i++) {
      const sub = path.join(dir, 'small', String(i % 20));
      fs.mkdirSync(sub, { recursive: true });
      const f = path.join(sub, `f${i}.bin`);
      writeFile(f, SMALL, i + 1);
      small.push(f);
    }

    const one = await compare(hashFiles, [big], BIG);
    console.log(
      `  1 file of ${(BIG / 2 ** 20).toFixed(0)} MiB: sha256sum ${one.sum.toFixed(0)} MiB/s, keel ${one.ours.toFixed(0)} MiB/s (main thread)`,
    );
    const many = await compare(hashFiles, small, SMALL_FILES * SMALL);
    console.log(
      `  ${SMALL_FILES} files of 1 MiB: sha256sum ${many.sum.toFixed(0)} MiB/s, keel ${many.ours.toFixed(0)} MiB/s (${many.threads} worker threads)`,
    );
    return [
      report('hash 1 file of 1 GiB: keel / sha256sum throughput', one.ours / one.sum, 'x', 0.9, true),
      report(
        `hash ${SMALL_FILES} × 1 MiB files: keel / sha256sum throughput`,
        many.ours / many.sum,
        'x',
        1,
        true,
      ),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
