/**
 * JSON has no NaN or Infinity (JSON.stringify sends null), so every Keel API carries non-finite
 * doubles as the names protobuf JSON uses: "NaN", "Infinity" and "-Infinity", in both directions.
 */
export const encodeDouble = (v: number): number | string =>
  Number.isNaN(v)
    ? 'NaN'
    : v === Number.POSITIVE_INFINITY
      ? 'Infinity'
      : v === Number.NEGATIVE_INFINITY
        ? '-Infinity'
        : v;

/** The special names a double may arrive as, with their values. */
export const SPECIAL_DOUBLES: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** A double from the wire back to a number ("NaN" → NaN, "-Infinity" → -Infinity). */
export const decodeDouble = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
