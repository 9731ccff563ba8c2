/**
 * Packing prediction events into a `PackedBatch` (main thread) and reading them back (worker).
 * Each tensor's data is copied once into a flat array of its element type; strings, names and
 * request ids travel as plain string arrays. The flat arrays are transferred with the message.
 */
import type { TensorData, Tensors, WireTensor } from '../runtime/types.js';
import type { LogSpec, ModelIO, PredictionEvent } from '../types.js';
import type { InputRefs } from './layout.js';
import {
  EV,
  EV_DEPLOYMENT,
  EV_INPUTS,
  EV_IO,
  EV_LATENCY,
  EV_MODEL,
  EV_OUTPUTS,
  EV_ROUTE,
  EV_ROWS,
  EV_SAMPLE_ROWS,
  EV_TENSOR_START,
  EV_TIME,
  EV_VERSION,
  EV_WINDOW_MS,
  type PackedBatch,
  POOL_F32,
  POOL_F64,
  POOL_I32,
  POOL_I64,
  POOL_STR,
  POOL_U8,
  TS,
  TS_DIMS,
  TS_DIMS_START,
  TS_LENGTH,
  TS_NAME,
  TS_OFFSET,
  TS_POOL,
  TS_TYPE,
} from './messages.js';

type Typed = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
type TypedCtor<T extends Typed> = { new (n: number): T };

/** Tensors up to this many values are copied element by element. */
const SMALL = 64;

type NumArray = Float32Array | Float64Array | Int32Array | Uint8Array;

function copy(dst: NumArray, at: number, src: NumArray, len: number): void {
  if (len > SMALL) dst.set(src, at);
  else for (let i = 0; i < len; i++) dst[at + i] = src[i]!;
}

/** A typed array that grows by doubling; `take()` hands over the filled part's buffer. */
class Grow<T extends Typed> {
  arr: T;
  used = 0;
  constructor(
    private readonly ctor: TypedCtor<T>,
    private readonly initial: number,
  ) {
    this.arr = new ctor(initial);
  }
  /** Offset of `n` fresh slots. */
  reserve(n: number): number {
    const at = this.used;
    const need = at + n;
    if (need > this.arr.length) {
      let cap = this.arr.length * 2;
      while (cap < need) cap *= 2;
      const next = new this.ctor(cap);
      (next as unknown as { set(a: T): void }).set(this.arr);
      this.arr = next;
    }
    this.used = need;
    return at;
  }
  /** The filled array (a view on the buffer to transfer); a fresh one takes its place. */
  take(): T {
    const out = this.arr.subarray(0, this.used) as T;
    // Size the next batch's array like this one, so steady traffic never regrows.
    let cap = this.initial;
    while (cap < this.used) cap *= 2;
    this.arr = new this.ctor(cap);
    this.used = 0;
    return out;
  }
}

/** The rows of an event: dim 0 of its first input (or output). */
export function eventRows(e: PredictionEvent): number {
  for (const k in e.inputs) return e.inputs[k]!.dims[0] ?? 0;
  for (const k in e.outputs) return e.outputs[k]!.dims[0] ?? 0;
  return 0;
}

/** Builds packed batches on the main thread; one instance is reused for every batch. */
export class BatchPacker {
  private readonly events = new Grow(Float64Array, 64 * EV);
  private readonly tensors = new Grow(Int32Array, 64 * 4 * TS);
  private readonly dims = new Grow(Int32Array, 512);
  private readonly f32 = new Grow(Float32Array, 1 << 10);
  private readonly f64 = new Grow(Float64Array, 1 << 10);
  private readonly i32 = new Grow(Int32Array, 1 << 10);
  private readonly i64 = new Grow(BigInt64Array, 1 << 10);
  private readonly u8 = new Grow(Uint8Array, 1 << 10);
  private strings: string[] = [];
  private requestIds: string[] = [];
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  /** The strings interned at each position of the previous event, and their ids (see nameAt). */
  private lastStrings: (string | undefined)[] = [];
  private lastIds: number[] = [];
  private position = 0;
  private ioIds = new WeakMap<ModelIO, number>();
  private nextIo = 1;
  private newIos: [number, ModelIO][] = [];
  private count = 0;

  /** Forget which model IOs the worker knows (a new worker starts empty). */
  resetIos(): void {
    this.ioIds = new WeakMap();
  }

  private name(s: string): number {
    let id = this.nameIds.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.nameIds.set(s, id);
    }
    return id;
  }

  private ioId(io: ModelIO): number {
    let id = this.ioIds.get(io);
    if (id === undefined) {
      id = this.nextIo++;
      this.ioIds.set(io, id);
      this.newIos.push([id, io]);
    }
    return id;
  }

  /** Appends one event (its tensors are copied). */
  add(e: PredictionEvent, io: ModelIO, spec: LogSpec, rows: number): void {
    const ev = this.events.reserve(EV);
    const evs = this.events.arr;
    this.position = 0;
    evs[ev + EV_DEPLOYMENT] = this.nameAt(e.deployment);
    evs[ev + EV_MODEL] = this.nameAt(e.model);
    evs[ev + EV_VERSION] = e.version;
    evs[ev + EV_ROUTE] = this.nameAt(e.route);
    evs[ev + EV_TIME] = e.eventTime;
    evs[ev + EV_LATENCY] = e.latencyUs;
    evs[ev + EV_IO] = this.ioId(io);
    evs[ev + EV_WINDOW_MS] = spec.windowSeconds * 1000;
    evs[ev + EV_SAMPLE_ROWS] = spec.sampleRows;
    evs[ev + EV_ROWS] = rows;
    evs[ev + EV_TENSOR_START] = this.tensors.used / TS;
    evs[ev + EV_INPUTS] = this.addTensors(e.inputs);
    evs[ev + EV_OUTPUTS] = this.addTensors(e.outputs);
    this.requestIds.push(e.requestId);
    this.count++;
  }

  private addTensors(ts: Tensors): number {
    let n = 0;
    for (const name in ts) {
      this.addTensor(name, ts[name]!);
      n++;
    }
    return n;
  }

  /**
   * The id of a tensor's name or type string. Consecutive events of a model carry the same names
   * in the same order, so the string at the same position as last time (an identity compare) skips
   * the map lookup that would otherwise dominate packing.
   */
  private nameAt(s: string): number {
    const p = this.position++;
    if (this.lastStrings[p] === s) return this.lastIds[p]!;
    const id = this.name(s);
    this.lastStrings[p] = s;
    this.lastIds[p] = id;
    return id;
  }

  private addTensor(name: string, t: WireTensor): void {
    const at = this.tensors.reserve(TS);
    const d = t.data;
    const len = d.length;
    let pool: number;
    let offset: number;
    // Element-wise copies: for the one-row tensors of online traffic a loop beats TypedArray#set.
    if (d instanceof Float32Array) {
      pool = POOL_F32;
      offset = this.f32.reserve(len);
      copy(this.f32.arr, offset, d, len);
    } else if (d instanceof Float64Array) {
      pool = POOL_F64;
      offset = this.f64.reserve(len);
      copy(this.f64.arr, offset, d, len);
    } else if (d instanceof BigInt64Array) {
      pool = POOL_I64;
      offset = this.i64.reserve(len);
      if (len > SMALL) this.i64.arr.set(d, offset);
      else for (let i = 0; i < len; i++) this.i64.arr[offset + i] = d[i]!;
    } else if (d instanceof Int32Array) {
      pool = POOL_I32;
      offset = this.i32.reserve(len);
      copy(this.i32.arr, offset, d, len);
    } else if (d instanceof Uint8Array) {
      pool = POOL_U8;
      offset = this.u8.reserve(len);
      copy(this.u8.arr, offset, d, len);
    } else if (Array.isArray(d)) {
      pool = POOL_STR;
      offset = this.strings.length;
      for (let i = 0; i < len; i++) this.strings.push(String(d[i]));
    } else {
      // Other element types onnxruntime may return (int8, uint16, float16 as Uint16Array…): as numbers.
      pool = POOL_F64;
      offset = this.f64.reserve(len);
      const src = d as ArrayLike<number | bigint>;
      const dst = this.f64.arr;
      for (let i = 0; i < len; i++) dst[offset + i] = Number(src[i]);
    }
    const dimsIn = t.dims;
    const nd = dimsIn.length;
    const ds = this.dims.reserve(nd);
    const dims = this.dims.arr;
    for (let i = 0; i < nd; i++) dims[ds + i] = dimsIn[i]!;
    const ts = this.tensors.arr;
    ts[at + TS_NAME] = this.nameAt(name);
    ts[at + TS_TYPE] = this.nameAt(t.type);
    ts[at + TS_POOL] = pool;
    ts[at + TS_DIMS_START] = ds;
    ts[at + TS_DIMS] = nd;
    ts[at + TS_OFFSET] = offset;
    ts[at + TS_LENGTH] = len;
  }

  /** Where the batch stands, to undo a half-added event with `rollback`. */
  mark(): number[] {
    return [
      this.count,
      this.requestIds.length,
      this.strings.length,
      this.events.used,
      this.tensors.used,
      this.dims.used,
      this.f32.used,
      this.f64.used,
      this.i32.used,
      this.i64.used,
      this.u8.used,
    ];
  }

  /** Back to a `mark` (names and model IOs registered meanwhile stay: they are harmless). */
  rollback(m: number[]): void {
    this.count = m[0]!;
    this.requestIds.length = m[1]!;
    this.strings.length = m[2]!;
    this.events.used = m[3]!;
    this.tensors.used = m[4]!;
    this.dims.used = m[5]!;
    this.f32.used = m[6]!;
    this.f64.used = m[7]!;
    this.i32.used = m[8]!;
    this.i64.used = m[9]!;
    this.u8.used = m[10]!;
  }

  /** Events added since the last `take`. */
  get size(): number {
    return this.count;
  }

  /** The batch so far, with the buffers to transfer; the packer starts a new one. */
  take(id: number): { batch: PackedBatch; transfer: ArrayBuffer[] } {
    const batch: PackedBatch = {
      type: 'batch',
      id,
      count: this.count,
      ios: this.newIos,
      names: this.names,
      requestIds: this.requestIds,
      events: this.events.take(),
      tensors: this.tensors.take(),
      dims: this.dims.take(),
      f32: this.f32.take(),
      f64: this.f64.take(),
      i32: this.i32.take(),
      i64: this.i64.take(),
      u8: this.u8.take(),
      strings: this.strings,
    };
    this.newIos = [];
    this.names = [];
    this.nameIds = new Map();
    this.lastStrings = [];
    this.lastIds = [];
    this.requestIds = [];
    this.strings = [];
    this.count = 0;
    const transfer = [
      batch.events,
      batch.tensors,
      batch.dims,
      batch.f32,
      batch.f64,
      batch.i32,
      batch.i64,
      batch.u8,
    ].map((a) => a.buffer as ArrayBuffer);
    return { batch, transfer };
  }
}

/** One event read back from a batch (worker side). */
export interface UnpackedEvent {
  deployment: string;
  model: string;
  version: number;
  route: string;
  requestId: string;
  eventTime: number;
  latencyUs: number;
  ioId: number;
  windowMs: number;
  sampleRows: number;
  rows: number;
  inputs: InputRefs;
  outputs: Tensors;
}

function poolOf(b: PackedBatch, pool: number): TensorData {
  switch (pool) {
    case POOL_F32:
      return b.f32;
    case POOL_I32:
      return b.i32;
    case POOL_I64:
      return b.i64;
    case POOL_U8:
      return b.u8;
    case POOL_STR:
      return b.strings;
    default:
      return b.f64;
  }
}

/**
 * The `i`-th event of a batch: inputs as offsets into the batch's arrays, outputs as views (the
 * shape `rowPredictions` reads).
 */
export function unpackEvent(b: PackedBatch, i: number): UnpackedEvent {
  const ev = i * EV;
  const e = b.events;
  const start = e[ev + EV_TENSOR_START]!;
  const nIn = e[ev + EV_INPUTS]!;
  const nOut = e[ev + EV_OUTPUTS]!;
  const ts = b.tensors;
  const inputs: InputRefs = {};
  const outputs: Tensors = {};
  for (let t = 0; t < nIn + nOut; t++) {
    const at = (start + t) * TS;
    const off = ts[at + TS_OFFSET]!;
    const len = ts[at + TS_LENGTH]!;
    const ds = ts[at + TS_DIMS_START]!;
    const nd = ts[at + TS_DIMS]!;
    const dims = new Array<number>(nd);
    for (let d = 0; d < nd; d++) dims[d] = b.dims[ds + d]!;
    const type = b.names[ts[at + TS_TYPE]!]!;
    const name = b.names[ts[at + TS_NAME]!]!;
    const pool = poolOf(b, ts[at + TS_POOL]!);
    if (t < nIn) {
      inputs[name] = { type, dims, data: pool, offset: off };
    } else {
      const data = Array.isArray(pool) ? pool.slice(off, off + len) : pool.subarray(off, off + len);
      outputs[name] = { type, dims, data };
    }
  }
  return {
    deployment: b.names[e[ev + EV_DEPLOYMENT]!]!,
    model: b.names[e[ev + EV_MODEL]!]!,
    version: e[ev + EV_VERSION]!,
    route: b.names[e[ev + EV_ROUTE]!]!,
    requestId: b.requestIds[i]!,
    eventTime: e[ev + EV_TIME]!,
    latencyUs: e[ev + EV_LATENCY]!,
    ioId: e[ev + EV_IO]!,
    windowMs: e[ev + EV_WINDOW_MS]!,
    sampleRows: e[ev + EV_SAMPLE_ROWS]!,
    rows: e[ev + EV_ROWS]!,
    inputs,
    outputs,
  };
}
