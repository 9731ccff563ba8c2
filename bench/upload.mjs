// Streaming upload: 2 GiB through the MLflow artifact proxy (HTTP PUT) into the fs blob store.
// The server must hold it in constant memory: we report its peak RSS (VmHWM) and throughput.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { post, report, startServer, tempDir } from './lib.mjs';

const SIZE = Number(process.env.KEEL_BENCH_UPLOAD_MIB ?? 2048) * 2 ** 20;
const CHUNK = 2 ** 20;

const vm = (pid, field) =>
  Number(
    new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0,
  ) / 1024;

export async function benchUpload() {
  const dir = tempDir('upload');
  const server = await startServer(dir);
  try {
    const { experiment_id } = await post(`${server.url}/api/2.0/mlflow/experiments/create`, {
      name: 'upload',
    });
    const runId = (await post(`${server.url}/api/2.0/mlflow/runs/create`, { experiment_id })).run.info.run_id;
    const before = vm(server.pid, 'VmRSS');
    const block = Buffer.alloc(CHUNK);
    const hash = createHash('sha256');
    let sent = 0;
    // A generated stream: each 1 MiB block differs (its counter), so nothing deduplicates.
    const body = new Readable({
      read() {
        if (sent >= SIZE) return this.push(null);
        block.writeUInt32LE(sent / CHUNK, 0);
        const chunk = Buffer.from(block);
        hash.update(chunk);
        sent += CHUNK;
        this.push(chunk);
      },
    });
    const t = performance.now();
    const res = await fetch(
      `${server.url}/api/2.0/mlflow-artifacts/artifacts/${experiment_id}/${runId}/artifacts/big.bin`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(body),
        duplex: 'half',
      },
    );
    if (!res.ok) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    const seconds = (performance.now() - t) / 1000;
    const peak = vm(server.pid, 'VmHWM');
    const list = await (await fetch(`${server.url}/api/2.0/mlflow/artifacts/list?run_id=${runId}`)).json();
    const stored = list.files?.find((f) => f.path === 'big.bin');
    if (stored?.file_size !== SIZE) throw new Error(`stored size ${stored?.file_size} != ${SIZE}`);
    const digest = hash.digest('hex');
    const blob = fs
      .readdirSync(`${dir}/artifacts/sha256`, { recursive: true })
      .find((p) => String(p).endsWith(digest));
    if (!blob) throw new Error('blob not stored under its sha256');
    console.log(
      `  ${(SIZE / 2 ** 30).toFixed(1)} GiB in ${seconds.toFixed(1)} s (${(SIZE / 2 ** 20 / seconds).toFixed(0)} MiB/s); server RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB`,
    );
    return report(
      `upload ${(SIZE / 2 ** 30).toFixed(0)} GiB via artifact proxy: server peak RSS growth`,
      peak - before,
      'MiB',
      200,
      false,
    );
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
