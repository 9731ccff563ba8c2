/**
 * A command step: any language, run like `make` would — the declared deps materialised into a
 * fresh work dir (workspace files and upstream steps' outputs, nothing else: a step reads only what
 * its cache key covers), params passed as env and a params.json, each command run in order with
 * `sh -c` until one fails, and the declared outs collected into the blob store.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlobStore } from '../../artifacts/store.js';
import { KeelError } from '../../core/errors.js';
import { collectOutputs, type Manifest, materialise } from '../cache/index.js';
import type { StepLog } from './log.js';
import type { ParamValue } from './types.js';

export interface CommandInput {
  blobs: BlobStore;
  cmd: string[];
  /** Workspace files and upstream outputs the step depends on. */
  inputs: Manifest;
  outs: string[];
  metrics: string[];
  params: Record<string, ParamValue>;
  env: Record<string, string>;
  /** KEEL_PIPELINE, KEEL_PIPELINE_RUN, KEEL_STEP. */
  keelEnv: Record<string, string>;
  log: StepLog;
  signal: AbortSignal;
}

export interface CommandResult {
  files: Manifest;
  metrics: Record<string, number>;
}

const envName = (k: string) => `KEEL_PARAM_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export async function runCommand(input: CommandInput): Promise<CommandResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-step-'));
  try {
    await materialise(input.blobs, input.inputs, dir);
    const paramsFile = path.join(dir, '.keel-params.json');
    await fs.writeFile(paramsFile, JSON.stringify(input.params, null, 2));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...Object.fromEntries(
        Object.entries(input.params).map(([k, v]) => [envName(k), v === null ? '' : String(v)]),
      ),
      KEEL_PARAMS_FILE: paramsFile,
      ...input.keelEnv,
      ...input.env,
    };
    for (const command of input.cmd) {
      input.signal.throwIfAborted();
      input.log.line(`$ ${command}`);
      await runOne(command, dir, env, input.log, input.signal);
    }
    const files = await collectOutputs(input.blobs, dir, input.outs);
    const metrics: Record<string, number> = {};
    for (const file of input.metrics) Object.assign(metrics, await readMetrics(dir, file));
    return { files, metrics };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function runOne(
  command: string,
  cwd: string,
  env: Record<string, string>,
  log: StepLog,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group, so an abort (timeout, lost lease, shutdown) kills the command's children too.
    const child = spawn('sh', ['-c', command], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    signal.addEventListener('abort', kill, { once: true });
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) log.line(l);
      });
      stream.on('end', () => partial && log.line(partial));
    }
    child.on('error', (e) => {
      signal.removeEventListener('abort', kill);
      reject(new KeelError('INVALID_PARAMETER_VALUE', `could not start \`${command}\`: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', kill);
      if (signal.aborted)
        return reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      if (code === 0) return resolve();
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(new Error(`\`${command}\` ${how}; last output:\n${log.lastLines(20)}`));
    });
  });
}

async function readMetrics(dir: string, file: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, file), 'utf8');
  } catch {
    throw new Error(`metrics file ${file} was not written by the step`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`metrics file ${file} is not JSON: ${(e as Error).message}`);
  }
  const out: Record<string, number> = {};
  const walk = (v: unknown, prefix: string) => {
    if (typeof v === 'number' && Number.isFinite(v)) out[prefix] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}.${k}` : k);
  };
  walk(parsed, '');
  return out;
}
