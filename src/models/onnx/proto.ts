/**
 * The compiled official onnx.proto (package `onnx-proto`, ONNX v1.10.2 schema, protobufjs 6 static
 * code). It is CommonJS, so under NodeNext it is reached through its default export; this file is
 * the one place that knows that. Fields newer than that schema are skipped on decode, not errors.
 */

import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';

/** The `onnx` protobuf namespace (ModelProto, GraphProto, TensorProto, …). */
export const onnx = onnxProto.onnx;
/** Type-level access to the generated interfaces, e.g. `Onnx.IModelProto`. */
export type { Onnx };
/** What protobufjs accepts for an int64 field (`number | Long`). */
export type Int64Field = NonNullable<Onnx.IAttributeProto['i']>;

/** A protobufjs int64 as decoded (Long when the `long` package is present, else number). */
type Int64In = number | { low: number; high: number; unsigned: boolean };

/** Converts a decoded int64 to bigint without precision loss. */
export function int64ToBigInt(v: Int64In | null | undefined): bigint {
  if (v == null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0) << 32n;
  return v.unsigned ? hi | lo : BigInt.asIntN(64, hi | lo);
}

/** Converts a decoded int64 to number; values past 2^53 would be silently wrong, so they throw. */
export function int64ToNumber(v: Int64In | null | undefined, what: string): number {
  const b = int64ToBigInt(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${what} ${b} does not fit a JS number`);
  }
  return Number(b);
}

/**
 * Encodes an int64 for protobufjs: safe numbers pass through (its writer handles negatives), larger
 * bigints become a Long so no bit is lost.
 */
export function toInt64(v: number | bigint): Int64Field {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 value ${v} is not a safe integer`);
    return v;
  }
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  const n = BigInt.asIntN(64, v);
  // protobufjs's writer reads only `low`/`high` of a Long (LongBits.from), so a plain object with
  // those bits is enough and does not depend on the optional `long` package being installed.
  const bits = {
    low: Number(BigInt.asIntN(32, n)),
    high: Number(BigInt.asIntN(32, n >> 32n)),
    unsigned: false,
  };
  return bits as unknown as Int64Field;
}
