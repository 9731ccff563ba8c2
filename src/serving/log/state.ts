/**
 * The prediction log worker's state: what arrived since the last checkpoint — per-window profile
 * deltas, per-window sample deltas and unwritten records — and the checkpoint that folds them into
 * the database and the blob store. Nothing here lives longer than a checkpoint: a window is a delta
 * merged into its stored row, so an old window reopened by a late event simply merges again.
 */
import type { BlobStore } from '../../artifacts/store.js';
import { isKeelError } from '../../core/errors.js';
import { type CellValue, DatasetProfiler, mergeDatasetProfiles } from '../../stats/profile.js';
import type { DatasetProfile } from '../../stats/types.js';
import type { Store } from '../../store/db.js';
import { rowPredictions } from '../model-io.js';
import type { ModelIO, RowPrediction } from '../types.js';
import { fillRow, fits, type Layout, layoutFor, rawOutputs } from './layout.js';
import type { DropList, FailureEvent, PackedBatch, WorkerOptions } from './messages.js';
import { type UnpackedEvent, unpackEvent } from './pack.js';
import {
  type FailureRow,
  insertFailures,
  insertRecords,
  mergeSegment,
  mergeWindow,
  type RecordRow,
  type SampleRow,
  type WindowKey,
} from './persist.js';
import { referenceEdges } from './reference.js';
import { mergeSamples, Reservoir } from './reservoir.js';

const MAX_INT32 = 2 ** 31 - 1;
/** Live windows (deployment × version × route × window) that make the next checkpoint come early. */
const SOFT_WINDOWS = 64;
/** Beyond this many live windows (a replay racing through months) events are dropped until a checkpoint. */
const HARD_WINDOWS = 4096;
/** Sampled rows held in memory that make the next segment checkpoint come early. */
const SOFT_SAMPLE_ROWS = 100_000;
/** Unwritten records that make the next checkpoint come early. */
const SOFT_RECORDS = 5000;
/** Records per insert round (each commits alone; a failure keeps the rest for the next checkpoint). */
const RECORD_CHUNK = 5000;
/** Checkpoints a failing write is retried at before its data is given up (and counted as dropped). */
const MAX_ATTEMPTS = 5;

interface WindowDelta {
  key: WindowKey;
  profiler: DatasetProfiler;
  layout: Layout;
  /** Per other layout: its column → this profiler's column (-1 when absent). */
  mappings: Map<Layout, Int32Array>;
  cells: CellValue[];
}

interface SampleDelta {
  key: { deployment: string; windowStart: number; windowMs: number };
  reservoir: Reservoir<SampleRow>;
}

interface PendingSample {
  key: SampleDelta['key'];
  sample: SampleRow[];
  seen: number;
  capacity: number;
  attempts: number;
}

/** Adds `n` rows under (deployment, reason) to a drop list being built. */
function countDrop(list: Map<string, number>, deployment: string, reason: string, n: number): void {
  const k = `${deployment}\0${reason}`;
  list.set(k, (list.get(k) ?? 0) + n);
}

const toDropList = (m: Map<string, number>): DropList =>
  [...m].map(([k, n]) => {
    const [deployment, reason] = k.split('\0') as [string, string];
    return [deployment, reason, n];
  });

/** Every row of a batch as dropped for `reason` (a batch that could not be read at all). */
export function batchDrops(batch: PackedBatch, reason: string): DropList {
  const dropped = new Map<string, number>();
  for (let i = 0; i < batch.count; i++) {
    const e = unpackEvent(batch, i);
    countDrop(dropped, e.deployment, reason, e.rows);
  }
  return toDropList(dropped);
}

export interface CheckpointResult {
  written: number;
  dropped: DropList;
}

export class LogState {
  private readonly ios = new Map<number, ModelIO>();
  private readonly layouts = new Map<number, Layout>();
  private readonly edges = new Map<string, Record<string, number[]>>();
  private windows = new Map<string, WindowDelta>();
  private samples = new Map<string, SampleDelta>();
  private sampledRows = 0;
  private records: RecordRow[] = [];
  /** Deltas whose write failed, retried at the next checkpoint. */
  private readonly pendingWindows = new Map<
    string,
    { key: WindowKey; profile: DatasetProfile; attempts: number }
  >();
  private recordFailures = 0;
  private readonly pendingSamples = new Map<string, PendingSample>();
  /** Failure counts per window since the last checkpoint (and those whose write failed). */
  private failures = new Map<string, FailureRow>();
  private failureAttempts = 0;
  private lastSegments = Date.now();
  private lastWindows = Date.now();

  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly options: WorkerOptions,
    private readonly random: () => number,
  ) {}

  /** Learns the batch's new model IOs and loads their reference edges (before `ingest`). */
  async prepare(batch: PackedBatch): Promise<void> {
    for (const [id, io] of batch.ios) {
      this.ios.set(id, io);
      this.layouts.delete(id);
      const k = `${io.model}\0${io.version}`;
      if (this.edges.has(k)) continue;
      try {
        this.edges.set(k, await referenceEdges(this.store.db, io.model, io.version));
      } catch {
        // A registry that cannot be read must not stop logging: derived histograms instead.
        this.edges.set(k, {});
      }
    }
  }

  /** Profiles, samples and buffers every event of a batch; returns what had to be dropped. */
  ingest(batch: PackedBatch): DropList {
    const dropped = new Map<string, number>();
    for (let i = 0; i < batch.count; i++) {
      const e = unpackEvent(batch, i);
      if (e.rows <= 0) continue;
      const io = this.ios.get(e.ioId);
      if (!io || this.windows.size >= HARD_WINDOWS) {
        countDrop(dropped, e.deployment, io ? 'worker_backlog' : 'error', e.rows);
        continue;
      }
      try {
        this.ingestEvent(e, io, dropped);
      } catch {
        countDrop(dropped, e.deployment, 'error', e.rows);
      }
    }
    for (const f of batch.failures ?? []) this.ingestFailure(f);
    return toDropList(dropped);
  }

  private ingestFailure(f: FailureEvent): void {
    const time = Number.isFinite(f.eventTime) ? Math.round(f.eventTime) : Date.now();
    const windowMs = f.windowMs > 0 ? f.windowMs : 600_000;
    const windowStart = Math.floor(time / windowMs) * windowMs;
    const k = `${f.deployment}\0${f.version}\0${f.route}\0${windowStart}`;
    const rows = Math.max(1, Math.round(f.rows) || 0);
    const cur = this.failures.get(k);
    if (!cur) {
      this.failures.set(k, {
        deployment: f.deployment,
        model: f.model,
        version: f.version,
        route: f.route,
        window_start: windowStart,
        window_ms: windowMs,
        rows,
        requests: 1,
        first_event_time: time,
        last_event_time: time,
        reasons: { [f.reason]: rows },
      });
      return;
    }
    cur.rows += rows;
    cur.requests++;
    cur.first_event_time = Math.min(cur.first_event_time, time);
    cur.last_event_time = Math.max(cur.last_event_time, time);
    cur.reasons[f.reason] = (cur.reasons[f.reason] ?? 0) + rows;
  }

  /** Whether enough has piled up that a checkpoint should not wait for its timer. */
  get wantsCheckpoint(): boolean {
    return (
      this.records.length >= SOFT_RECORDS ||
      this.windows.size >= SOFT_WINDOWS ||
      this.sampledRows >= SOFT_SAMPLE_ROWS
    );
  }

  private layoutOf(e: UnpackedEvent, io: ModelIO): Layout {
    const cached = this.layouts.get(e.ioId);
    if (cached && fits(cached, e.inputs)) return cached;
    const layout = layoutFor(io, e.inputs, e.outputs);
    this.layouts.set(e.ioId, layout);
    return layout;
  }

  private windowOf(e: UnpackedEvent, io: ModelIO, layout: Layout, windowStart: number): WindowDelta {
    const k = `${e.deployment}\0${e.version}\0${e.route}\0${windowStart}`;
    let w = this.windows.get(k);
    if (!w) {
      const edges = this.edges.get(`${io.model}\0${io.version}`) ?? {};
      w = {
        key: {
          deployment: e.deployment,
          model: e.model,
          version: e.version,
          route: e.route,
          windowStart,
          windowMs: e.windowMs,
        },
        profiler: new DatasetProfiler(layout.columns, { edges }),
        layout,
        mappings: new Map(),
        cells: new Array(layout.columns.length),
      };
      this.windows.set(k, w);
    }
    return w;
  }

  private sampleOf(e: UnpackedEvent, windowStart: number): SampleDelta {
    const k = `${e.deployment}\0${windowStart}`;
    let s = this.samples.get(k);
    if (!s) {
      s = {
        key: { deployment: e.deployment, windowStart, windowMs: e.windowMs },
        reservoir: new Reservoir<SampleRow>(Math.max(0, e.sampleRows), this.random),
      };
      this.samples.set(k, s);
    }
    return s;
  }

  private ingestEvent(e: UnpackedEvent, io: ModelIO, dropped: Map<string, number>): void {
    const rows = e.rows;
    const layout = this.layoutOf(e, io);
    let preds: RowPrediction[];
    try {
      preds = rowPredictions(io, e.outputs, rows);
    } catch {
      preds = Array.from({ length: rows }, () => ({}));
    }
    const raw = layout.outputKind === 'raw';
    // Whole milliseconds (the column is a bigint): a client's fractional timestamp must not poison a chunk.
    const time = Number.isFinite(e.eventTime) ? Math.round(e.eventTime) : Date.now();
    const windowMs = e.windowMs > 0 ? e.windowMs : 600_000;
    const windowStart = Math.floor(time / windowMs) * windowMs;
    const w = this.windowOf(e, io, layout, windowStart);
    const sample = e.sampleRows > 0 ? this.sampleOf(e, windowStart) : null;
    const mapping = w.layout === layout ? null : this.mappingOf(w, layout);
    const cells: CellValue[] = mapping ? new Array(layout.columns.length) : w.cells;
    const latency = Math.min(MAX_INT32, Math.max(0, Math.round(e.latencyUs) || 0));
    const keepRecords = Math.max(0, Math.min(rows, this.options.maxBacklogRows - this.records.length));
    if (keepRecords < rows) countDrop(dropped, e.deployment, 'worker_backlog', rows - keepRecords);
    const nIn = layout.inputNames.length;
    for (let r = 0; r < rows; r++) {
      const pred: RowPrediction | { outputs: Record<string, unknown> } = raw
        ? { outputs: rawOutputs(e.outputs, r) }
        : preds[r]!;
      fillRow(layout, e.inputs, e.outputs, preds[r]!, r, cells);
      if (mapping) {
        w.cells.fill(undefined);
        for (let c = 0; c < mapping.length; c++) if (mapping[c]! >= 0) w.cells[mapping[c]!] = cells[c];
      }
      w.profiler.addRow(w.cells);
      if (r < keepRecords) {
        this.records.push({
          deployment: e.deployment,
          request_id: e.requestId,
          row: r,
          model: e.model,
          version: e.version,
          route: e.route,
          event_time: time,
          latency_us: latency,
          prediction: JSON.stringify(pred),
        });
      }
      if (sample) {
        const full = sample.reservoir.sample.length >= sample.reservoir.capacity;
        sample.reservoir.offer(() => {
          const inputs: Record<string, unknown> = {};
          for (let c = 0; c < nIn; c++) inputs[layout.inputNames[c]!] = cells[c] ?? null;
          return {
            request_id: e.requestId,
            row: r,
            model: e.model,
            version: e.version,
            route: e.route,
            event_time: time,
            inputs,
            prediction: pred,
          };
        });
        if (!full) this.sampledRows++;
      }
    }
  }

  private mappingOf(w: WindowDelta, layout: Layout): Int32Array {
    let m = w.mappings.get(layout);
    if (!m) {
      const index = new Map(w.layout.columns.map((c, i) => [c.name, i]));
      m = Int32Array.from(layout.columns, (c) => index.get(c.name) ?? -1);
      w.mappings.set(layout, m);
    }
    return m;
  }

  /**
   * Writes records and — when due, or everything with `all` — merges profile deltas into their
   * window rows and sample deltas into their segments. Anything that fails stays for the next
   * checkpoint; the first error is rethrown after everything else was tried.
   */
  async checkpoint(all: boolean): Promise<CheckpointResult> {
    const dropped = new Map<string, number>();
    let failure: unknown = null;
    const fail = (e: unknown): void => {
      failure ??= e;
    };
    const written = await this.writeRecords(dropped, fail);
    await this.writeFailures(dropped).catch(fail);
    const now = Date.now();
    if (all || now - this.lastWindows >= this.options.profileMs || this.windows.size >= SOFT_WINDOWS) {
      await this.writeWindows(dropped).catch(fail);
    }
    if (all || now - this.lastSegments >= this.options.segmentMs || this.sampledRows >= SOFT_SAMPLE_ROWS) {
      await this.writeSegments().catch(fail);
    }
    if (failure !== null) throw failure;
    return { written, dropped: toDropList(dropped) };
  }

  /** Inserts the buffered records; returns how many committed. */
  private async writeRecords(dropped: Map<string, number>, fail: (e: unknown) => void): Promise<number> {
    const rows = this.records;
    this.records = [];
    let done = 0;
    try {
      for (; done < rows.length; done += RECORD_CHUNK) {
        await insertRecords(this.store, rows.slice(done, done + RECORD_CHUNK));
      }
      this.recordFailures = 0;
      return rows.length;
    } catch (e) {
      // What did not commit waits for the next checkpoint, within the backlog bound — unless the
      // same chunk keeps failing (a row the database refuses must not block everything behind it).
      if (++this.recordFailures >= MAX_ATTEMPTS) {
        for (const r of rows.slice(done, done + RECORD_CHUNK)) countDrop(dropped, r.deployment, 'error', 1);
        done += RECORD_CHUNK;
        this.recordFailures = 0;
      }
      const rest = rows.slice(done).concat(this.records);
      const keep = Math.min(rest.length, this.options.maxBacklogRows);
      for (const r of rest.slice(keep)) countDrop(dropped, r.deployment, 'error', 1);
      this.records = rest.slice(0, keep);
      fail(e);
      return done;
    }
  }

  /** Appends the failure counts; kept for the next checkpoint when the write fails (a few times). */
  private async writeFailures(dropped: Map<string, number>): Promise<void> {
    if (this.failures.size === 0) return;
    const rows = [...this.failures.values()];
    try {
      await insertFailures(this.store.db, rows, Date.now());
      this.failures = new Map();
      this.failureAttempts = 0;
    } catch (e) {
      if (++this.failureAttempts >= MAX_ATTEMPTS) {
        for (const r of rows) countDrop(dropped, r.deployment, 'error', r.rows);
        this.failures = new Map();
        this.failureAttempts = 0;
      }
      throw e;
    }
  }

  private async writeWindows(dropped: Map<string, number>): Promise<void> {
    this.lastWindows = Date.now();
    const live = this.windows;
    this.windows = new Map();
    for (const [k, w] of live) {
      const profile = w.profiler.finish();
      const prev = this.pendingWindows.get(k);
      try {
        const merged = prev ? mergeDatasetProfiles(prev.profile, profile) : profile;
        this.pendingWindows.set(k, { key: w.key, profile: merged, attempts: prev?.attempts ?? 0 });
      } catch {
        countDrop(dropped, w.key.deployment, 'error', profile.rows);
      }
    }
    // Each window is its own short read-merge-write (no transaction around them all): on SQLite a
    // long write transaction here would make the main thread's writers busy-wait, blocking its loop.
    let failure: unknown = null;
    const now = Date.now();
    for (const [k, p] of this.pendingWindows) {
      try {
        await mergeWindow(this.store.db, p.key, p.profile, now);
        this.pendingWindows.delete(k);
      } catch (e) {
        // A delta that cannot merge with the stored profile (a column changed type) never will.
        const hopeless = isKeelError(e) && e.code === 'INVALID_PARAMETER_VALUE';
        if (hopeless || ++p.attempts >= MAX_ATTEMPTS) {
          this.pendingWindows.delete(k);
          countDrop(dropped, p.key.deployment, 'error', p.profile.rows);
        }
        failure ??= e;
      }
    }
    if (failure !== null) throw failure;
  }

  private async writeSegments(): Promise<void> {
    this.lastSegments = Date.now();
    const live = this.samples;
    this.samples = new Map();
    this.sampledRows = 0;
    for (const [k, s] of live) {
      const prev = this.pendingSamples.get(k);
      const capacity = s.reservoir.capacity;
      const merged = prev ? mergeSamples(prev, s.reservoir, capacity, this.random) : s.reservoir;
      this.pendingSamples.set(k, {
        key: s.key,
        sample: [...merged.sample],
        seen: merged.seen,
        capacity,
        attempts: prev?.attempts ?? 0,
      });
    }
    let failure: unknown = null;
    const now = Date.now();
    for (const [k, p] of this.pendingSamples) {
      try {
        await mergeSegment(this.store, this.blobs, p.key, p, p.capacity, this.random, now);
        this.pendingSamples.delete(k);
      } catch (e) {
        // A sample is a sample: after a few failed attempts it is given up (records and profiles stand).
        if (++p.attempts >= MAX_ATTEMPTS) this.pendingSamples.delete(k);
        failure ??= e;
      }
    }
    if (failure !== null) throw failure;
  }
}
