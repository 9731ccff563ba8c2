// `npm run bench`: every benchmark of the issues, with its figure and the ratio to its target.
// KEEL_BENCH_ONLY=cli,ingest,search,upload,hashing,data,train,serving,monitoring,jobs,pipelines picks some; KEEL_BENCH_DIALECTS=sqlite skips PostgreSQL.
import os from 'node:os';
import { benchCli } from './cli.mjs';
import { benchData } from './data.mjs';
import { benchHashing } from './hashing.mjs';
import { benchIngest } from './ingest.mjs';
import { benchJobs } from './jobs-queue.mjs';
import { benchMonitoringAccuracy } from './monitoring-accuracy.mjs';
import { benchMonitoringProfile } from './monitoring-profile.mjs';
import { benchMonitoringServing } from './monitoring-serving.mjs';
import { benchMonitoringWindow } from './monitoring-window.mjs';
import { benchPipelineCache } from './pipeline-cache.mjs';
import { benchSearch } from './search.mjs';
import { benchServing } from './serving-http.mjs';
import { benchTrain } from './train.mjs';
import { benchUpload } from './upload.mjs';

const only = (
  process.env.KEEL_BENCH_ONLY ??
  'cli,ingest,search,upload,hashing,data,train,serving,monitoring,jobs,pipelines'
).split(',');
// The `monitoring` key: every bench of the monitoring issue, in order (each returns a list of results).
const MONITORING = [
  benchMonitoringProfile,
  benchMonitoringAccuracy,
  benchMonitoringWindow,
  benchMonitoringServing,
];
const dialects = (process.env.KEEL_BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
console.log(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
const results = [];
if (only.includes('cli')) results.push(benchCli());
for (const d of dialects) {
  if (only.includes('ingest')) results.push(await benchIngest(d));
  if (only.includes('search')) results.push(await benchSearch(d));
}
if (only.includes('upload')) results.push(await benchUpload());
if (only.includes('hashing')) results.push(...(await benchHashing()));
if (only.includes('data')) results.push(...(await benchData()));
if (only.includes('train')) results.push(...(await benchTrain()));
if (only.includes('serving')) results.push(...(await benchServing()));
if (only.includes('monitoring')) for (const bench of MONITORING) results.push(...(await bench()));
if (only.includes('jobs')) results.push(...(await benchJobs()));
if (only.includes('pipelines')) results.push(...(await benchPipelineCache()));
const failed = results.filter((r) => !r.ok && !r.name.includes('postgres'));
console.log(failed.length ? `${failed.length} target(s) missed` : 'all targets met');
