/**
 * MLflow's scoring protocol (`POST /invocations`, as `mlflow models serve`): JSON bodies with exactly
 * one of `dataframe_split`, `dataframe_records`, `instances` or `inputs` (plus optional `params`), or
 * a CSV body with a header row; the response is `{"predictions": …}`.
 *
 * Errors follow MLflow's codes: a body without exactly one format key is BAD_REQUEST (with MLflow's
 * wording, so clients matching on it keep working), an unsupported content type or charset is
 * UNSUPPORTED_MEDIA_TYPE (415), and a value that does not fit the model is INVALID_PARAMETER_VALUE.
 */
import { invalidParam, KeelError } from '../../core/errors.js';
import type { Tensors, WireTensor } from '../runtime/types.js';
import type { ModelIO } from '../types.js';
import { parseCsvText } from './csv-text.js';
import { dimsText, type InputSpec, ioPlan } from './plan.js';
import { columnsToFeeds, type Feeds, recordsToFeeds, tableToFeeds } from './records.js';
import { allocate, dimsFit, feedType, flattenInto, isObject, jsValues, nestedDims, show } from './values.js';

/** A parsed scoring request. */
export interface InvocationsInput extends Feeds {
  /** The body's `params`, when given (MLflow passes them to `predict`). */
  params?: Record<string, unknown>;
}

const JSON_TYPE = 'application/json';
const CSV_TYPE = 'text/csv';
const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
type Format = (typeof FORMATS)[number];

// MLflow's message (scoring_server REQUIRED_INPUT_FORMAT), kept word for word.
const REQUIRED_INPUT_FORMAT =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";
const PROTOCOL_CHANGE =
  'The MLflow model scoring protocol changed in MLflow 2.0: wrap the data in one of those fields, e.g. {"dataframe_split": {"columns": [...], "data": [[...]]}}.';

const unsupported = (message: string): KeelError =>
  new KeelError('UNSUPPORTED_MEDIA_TYPE', message, { field: 'content-type' });

/** Options of `parseInvocations`. */
export interface InvocationsOptions {
  /** Field or column names tolerated besides the features and ignored (e.g. a sticky-routing field). */
  allowExtra?: readonly string[];
}

/**
 * Parses a scoring request. `body` is the parsed JSON for application/json, and the raw text (string
 * or bytes) for text/csv.
 */
export function parseInvocations(
  contentType: string | undefined,
  body: unknown,
  io: ModelIO,
  opts: InvocationsOptions = {},
): InvocationsInput {
  const extra = opts.allowExtra ?? [];
  if (mediaType(contentType) === CSV_TYPE) return csvFeeds(body, io, extra);
  if (!isObject(body)) {
    const got = Array.isArray(body)
      ? 'a list'
      : `unexpected input type '${body === null ? 'null' : typeof body}'`;
    throw new KeelError('BAD_REQUEST', `${REQUIRED_INPUT_FORMAT}. Received ${got}. ${PROTOCOL_CHANGE}`, {
      field: 'body',
    });
  }
  let format: Format | undefined;
  let count = 0;
  for (const f of FORMATS) {
    if (Object.hasOwn(body, f)) {
      format = f;
      count++;
    }
  }
  if (count !== 1 || format === undefined) {
    throw new KeelError(
      'BAD_REQUEST',
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${Object.keys(body).join(', ')}]. ${PROTOCOL_CHANGE}`,
      { field: 'body' },
    );
  }
  const params = body.params;
  if (params !== undefined && params !== null && !isObject(params)) {
    throw invalidParam(`params must be an object; got ${show(params)}`, 'params');
  }
  const value = body[format];
  let parsed: Feeds;
  if (format === 'dataframe_split') parsed = splitFeeds(value, io, extra);
  else if (format === 'dataframe_records')
    parsed = recordsToFeeds(value, io, { field: format, allowExtra: extra });
  else parsed = tfServingFeeds(value, format, io, extra);
  return isObject(params) ? { ...parsed, params } : parsed;
}

/** The media type, once its parameters are checked (only charset=utf-8 is accepted, as MLflow does). */
function mediaType(contentType: string | undefined): typeof JSON_TYPE | typeof CSV_TYPE {
  const accepted = `${JSON_TYPE}, ${CSV_TYPE}`;
  if (!contentType) throw unsupported(`a Content-Type header is required: one of ${accepted}`);
  const [type = '', ...params] = contentType.split(';');
  const mime = type.trim().toLowerCase();
  if (mime !== JSON_TYPE && mime !== CSV_TYPE) {
    throw unsupported(
      `This predictor only supports the following content types: ${accepted}. Got '${contentType}'.`,
    );
  }
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (key === '') continue;
    if (key !== 'charset') throw unsupported(`Unrecognized content type parameter: ${key}`);
    const charset = p
      .slice(eq + 1)
      .trim()
      .replace(/^"|"$/g, '')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw unsupported(`The scoring server only supports UTF-8 (got charset=${charset})`);
    }
  }
  return mime;
}

function csvFeeds(body: unknown, io: ModelIO, allowExtra: readonly string[]): Feeds {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = new TextDecoder().decode(body);
  else throw invalidParam('a text/csv body must be the CSV text', 'body');
  const csv = parseCsvText(text);
  return tableToFeeds(csv.header, csv.rows, io, {
    field: 'body',
    allowExtra,
    mode: 'text',
    label: (r) => `CSV line ${csv.lines[r]}`,
  });
}

/** pandas' split orient: `{columns, data, index?}`; without columns, rows feed a single input by position. */
function splitFeeds(value: unknown, io: ModelIO, allowExtra: readonly string[]): Feeds {
  const field = 'dataframe_split';
  if (!isObject(value))
    throw invalidParam(`${field} must be an object {columns, data}; got ${show(value)}`, field);
  const columns = value.columns;
  if (columns !== undefined && !Array.isArray(columns)) {
    throw invalidParam(`${field}.columns must be an array of column names; got ${show(columns)}`, field);
  }
  return tableToFeeds((columns as string[] | undefined) ?? null, value.data, io, { field, allowExtra });
}

/**
 * TF-Serving style `instances` / `inputs`: a list of records; a list of rows (or values) for a
 * single-input model; or an object of input name → batched values (`{"age": [31, 45]}` feeds an
 * [N, 1] input; a packed model also takes its features by name as columns).
 */
function tfServingFeeds(value: unknown, field: Format, io: ModelIO, allowExtra: readonly string[]): Feeds {
  const plan = ioPlan(io);
  if (Array.isArray(value)) {
    if (value.length === 0) throw invalidParam(`${field} must not be empty`, field);
    if (isObject(value[0])) return recordsToFeeds(value, io, { field, allowExtra });
    const only = plan.inputs.length === 1 ? plan.inputs[0]! : null;
    if (!only) {
      throw invalidParam(
        `${field} as a list of values feeds a model with one input; this model takes ${plan.inputList}: send records, or an object of input name → values`,
        field,
      );
    }
    const data = tensorFeed(only, value, plan.missingTokens, field);
    return { feeds: { [only.name]: data }, rows: data.dims[0]! };
  }
  if (!isObject(value)) {
    throw invalidParam(
      `${field} must be a list (of records, or of rows) or an object of input name → values; got ${show(value)}`,
      field,
    );
  }
  const keys = Object.keys(value).filter((k) => !allowExtra.includes(k) || plan.byName.has(k));
  if (plan.packed && !keys.every((k) => plan.byName.has(k))) {
    const first = value[plan.features[0]!];
    const rows = Array.isArray(first) ? first.length : 0;
    return columnsToFeeds(value as Record<string, unknown[]>, rows, io, { field, allowExtra });
  }
  const feeds: Tensors = {};
  let rows = -1;
  for (const k of keys) {
    const spec = plan.byName.get(k);
    if (!spec)
      throw invalidParam(`${field}: ${k} is not an input of the model (it takes ${plan.inputList})`, field);
    const t = tensorFeed(spec, value[k], plan.missingTokens, field);
    if (rows >= 0 && t.dims[0] !== rows) {
      throw invalidParam(`${field}: input ${k} has ${t.dims[0]} rows, the others ${rows}`, field);
    }
    rows = t.dims[0]!;
    feeds[k] = t;
  }
  const missing = plan.inputs.filter((i) => !Object.hasOwn(feeds, i.name)).map((i) => i.name);
  if (missing.length > 0) {
    throw invalidParam(
      `${field}: missing input(s) ${missing.join(', ')} (the model takes ${plan.inputList})`,
      field,
    );
  }
  return { feeds, rows };
}

/** One input's batched values (nested lists, dim 0 = rows); trailing size-1 dims may be left out. */
function tensorFeed(spec: InputSpec, value: unknown, tokens: boolean, field: string): WireTensor {
  const type = feedType(spec);
  const what = `${field}: input ${spec.name}`;
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidParam(`${what} must be a non-empty list of values, one per row; got ${show(value)}`, field);
  }
  let dims = nestedDims(value);
  const want = spec.dims;
  if (want && dims.length < want.length && want.slice(dims.length).every((d) => d === 1 || d < 0)) {
    dims = dims.concat(Array<number>(want.length - dims.length).fill(1));
  }
  if (dims.includes(0) || !dimsFit(spec, dims)) {
    throw invalidParam(
      `${what}: values of shape ${dimsText(dims)} do not fit the model input's shape ${dimsText(want ?? [])} (-1 is any size, dim 0 is the rows)`,
      field,
    );
  }
  const out = allocate(
    type,
    dims.reduce((a, b) => a * b, 1),
  );
  flattenInto(value, dims, type, out, 0, 'json', tokens, what, field);
  return { type, dims, data: out };
}

/**
 * The response body, one prediction per row, as MLflow's pyfunc serialises a DataFrame (records
 * orient): a single-output model gives a flat list (a scalar per row when the row has one value,
 * else a nested list); several outputs give one object per row keyed by output name, e.g. a Keel
 * classifier's `{"label": 1, "probabilities": [0.2, 0.8]}`. int64 values become JSON numbers.
 */
export function invocationsResponse(io: ModelIO, outputs: Tensors, rows: number): { predictions: unknown[] } {
  const names = io.outputs.map((o) => o.name).filter((n) => Object.hasOwn(outputs, n));
  for (const n of Object.keys(outputs)) if (!names.includes(n)) names.push(n);
  if (names.length === 1) return { predictions: perRow(outputs[names[0]!]!, rows, names[0]!) };
  const cols = names.map((n) => perRow(outputs[n]!, rows, n));
  const predictions = new Array<Record<string, unknown>>(rows);
  for (let r = 0; r < rows; r++) {
    const rec: Record<string, unknown> = {};
    for (let k = 0; k < names.length; k++) rec[names[k]!] = cols[k]![r];
    predictions[r] = rec;
  }
  return { predictions };
}

/** An output's values row by row: scalars when each row has one value, else nested lists. */
function perRow(t: WireTensor, rows: number, name: string): unknown[] {
  if (t.dims[0] !== rows || t.data.length % rows !== 0) {
    throw new KeelError(
      'INTERNAL_ERROR',
      `output ${name} has dims ${dimsText(t.dims)}, not ${rows} rows along dim 0`,
    );
  }
  const flat = jsValues(t);
  const per = flat.length / rows;
  if (per === 1) return flat;
  const inner = t.dims.slice(1);
  const out = new Array<unknown>(rows);
  for (let r = 0; r < rows; r++) out[r] = nest(flat, r * per, inner, 0);
  return out;
}

function nest(flat: unknown[], at: number, dims: number[], k: number): unknown[] {
  const n = dims[k]!;
  if (k === dims.length - 1) return flat.slice(at, at + n);
  const stride = dims.slice(k + 1).reduce((a, b) => a * b, 1);
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = nest(flat, at + i * stride, dims, k + 1);
  return out;
}
