// Pipeline step cache: a dep directory of 10,000 small files. The first hashWorkspace reads every
// file (cold: an empty state cache); a run that changed nothing must then cost < 200 ms to know it —
// hashWorkspace again (stat only, answered by the state cache) plus the step's cache key.
// KEEL_BENCH_PIPELINE_FILES changes the file count.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, ROOT, report, tempDir } from './lib.mjs';

const FILES = Number(process.env.KEEL_BENCH_PIPELINE_FILES ?? 10_000);
const RUNS = 7;

/** `FILES` files of 200 B – 2 KiB in folders of 100, an hour old (see below). */
function makeWorkspace(root) {
  const data = path.join(root, 'data');
  const old = Date.now() / 1000 - 3600;
  for (let i = 0; i < FILES; i++) {
    const sub = path.join(data, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(sub, { recursive: true });
    const f = path.join(sub, `f${i}.bin`);
    fs.writeFileSync(f, randomBytes(200 + ((i * 7919) % 1848)));
    // Files younger than 2 s are never remembered (they could be rewritten within one mtime tick);
    // a workspace's inputs are normally older than that.
    fs.utimesSync(f, old, old);
  }
  fs.writeFileSync(path.join(root, 'train.py'), 'print("train")\n');
  fs.utimesSync(path.join(root, 'train.py'), old, old);
}

export async function benchPipelineCache() {
  const { hashWorkspace, stepCacheKey } = await import(path.join(ROOT, 'dist/pipelines/cache/index.js'));
  const root = tempDir('pipeline-cache');
  try {
    makeWorkspace(root);
    const statePath = path.join(root, '.keel', 'state.db');
    const deps = ['train.py', 'data/'];
    const t0 = performance.now();
    const cold = await hashWorkspace(root, deps, { statePath });
    const coldMs = performance.now() - t0;
    if (cold.hashed !== FILES + 1) throw new Error(`cold run hashed ${cold.hashed} files`);
    console.log(`  cold: hashed ${cold.hashed} files in ${coldMs.toFixed(0)} ms (empty state cache)`);

    const times = [];
    const cpu = [];
    let key;
    for (let i = 0; i < RUNS; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      const warm = await hashWorkspace(root, deps, { statePath });
      const k = stepCacheKey({
        pipeline: 'bench',
        step: 'train',
        definition: { cmd: ['python train.py'], env: {}, outs: ['model.bin'] },
        params: { trees: 100 },
        inputs: warm.manifest,
      });
      times.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      if (warm.hashed !== 0) throw new Error(`warm run ${i} re-hashed ${warm.hashed} files`);
      if (key !== undefined && k !== key) throw new Error('the cache key moved while nothing changed');
      key = k;
    }
    const warmMs = median(times);
    // CPU time beside wall time: on a shared machine the wall clock also measures the neighbours.
    console.log(
      `  cache hit: ${times.map((t) => t.toFixed(0)).join(', ')} ms (median ${warmMs.toFixed(0)} ms, ` +
        `CPU ${median(cpu).toFixed(0)} ms, ${(coldMs / warmMs).toFixed(0)}× faster than cold)`,
    );
    return [
      report(`pipeline cache hit, ${FILES} files: hashWorkspace + stepCacheKey`, warmMs, 'ms', 200, false),
    ];
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

// Runnable alone: `node bench/pipeline-cache.mjs` (after `npm run build`).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchPipelineCache();
