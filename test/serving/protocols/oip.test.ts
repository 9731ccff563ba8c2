import { describe, expect, it } from 'vitest';
import {
  inferResponse,
  modelMetadata,
  oipError,
  parseInferRequest,
  serverMetadata,
} from '../../../src/serving/protocols/index.js';
import { KEEL_IO, modelIOOf, tensor, thrown } from './io-fixture.js';

/** One input of every type the runtime feeds. */
const ALL = modelIOOf({
  inputs: [
    tensor('f32', 'float', ['N', 1]),
    tensor('f64', 'double', ['N', 2]),
    tensor('i32', 'int32', ['N']),
    tensor('i64', 'int64', ['N', 1]),
    tensor('b', 'bool', ['N', 1]),
    tensor('s', 'string', ['N', 1]),
  ],
  outputs: [tensor('y', 'float', ['N', 1])],
});

const good = () => [
  { name: 'f32', datatype: 'FP32', shape: [2, 1], data: [1.5, null] },
  {
    name: 'f64',
    datatype: 'FP64',
    shape: [2, 2],
    data: [
      [1, 2],
      [3, 4],
    ],
  },
  { name: 'i32', datatype: 'INT32', shape: [2], data: [-7, 2147483647] },
  { name: 'i64', datatype: 'INT64', shape: [2, 1], data: [[9007199254740991], [-3]] },
  { name: 'b', datatype: 'BOOL', shape: [2, 1], data: [true, false] },
  { name: 's', datatype: 'BYTES', shape: [2, 1], data: ['north', ''] },
];

const withInput = (name: string, patch: Record<string, unknown>) =>
  good().map((i) => (i.name === name ? { ...i, ...patch } : i));

describe('parseInferRequest', () => {
  it('feeds every datatype into its typed array, flat or nested', () => {
    const req = parseInferRequest({ inputs: good() }, ALL);
    expect(req.rows).toBe(2);
    const f = req.feeds;
    expect(f.f32).toEqual({ type: 'float32', dims: [2, 1], data: new Float32Array([1.5, Number.NaN]) });
    expect(f.f64!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f.f64!.data as Float64Array)).toEqual([1, 2, 3, 4]);
    expect(f.i32).toEqual({ type: 'int32', dims: [2], data: new Int32Array([-7, 2147483647]) });
    expect(f.i64).toEqual({ type: 'int64', dims: [2, 1], data: new BigInt64Array([9007199254740991n, -3n]) });
    expect(f.b).toEqual({ type: 'bool', dims: [2, 1], data: new Uint8Array([1, 0]) });
    expect(f.s).toEqual({ type: 'string', dims: [2, 1], data: ['north', ''] });
    expect(req.parameters).toEqual({});
    expect(req.id).toBeUndefined();
    expect(req.outputs).toBeUndefined();
  });

  it('takes nested data for [N, 2] and flat data for the same shape alike', () => {
    const flat = parseInferRequest({ inputs: withInput('f64', { data: [1, 2, 3, 4] }) }, ALL);
    const nested = parseInferRequest({ inputs: good() }, ALL);
    expect(flat.feeds.f64).toEqual(nested.feeds.f64);
  });

  it('echoes the id, passes parameters through and keeps the requested outputs', () => {
    const req = parseInferRequest(
      { id: 'req-42', parameters: { timestamp: 1700000000000 }, inputs: good(), outputs: [{ name: 'y' }] },
      ALL,
    );
    expect(req.id).toBe('req-42');
    expect(req.parameters).toEqual({ timestamp: 1700000000000 });
    expect(req.outputs).toEqual(['y']);
  });

  it('refuses a datatype other than the model input takes, saying expected and got', () => {
    const e = thrown(() => parseInferRequest({ inputs: withInput('f32', { datatype: 'FP64' }) }, ALL));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.status).toBe(400);
    expect(e.message).toContain('input f32');
    expect(e.message).toContain('expected FP32');
    expect(e.message).toContain('FP64');
    for (const [name, datatype, want] of [
      ['i64', 'INT32', 'INT64'],
      ['i32', 'UINT32', 'INT32'],
      ['b', 'UINT8', 'BOOL'],
      ['s', 'FP32', 'BYTES'],
    ] as const) {
      const m = thrown(() => parseInferRequest({ inputs: withInput(name, { datatype }) }, ALL)).message;
      expect(m).toContain(`input ${name}`);
      expect(m).toContain(`expected ${want}`);
    }
  });

  it('explains FP16 and names unknown datatypes', () => {
    expect(
      thrown(() => parseInferRequest({ inputs: withInput('f32', { datatype: 'FP16' }) }, ALL)).message,
    ).toMatch(/FP16 cannot travel as JSON/);
    const e = thrown(() => parseInferRequest({ inputs: withInput('f32', { datatype: 'FLOAT' }) }, ALL));
    expect(e.message).toContain('"FLOAT" is not an OIP datatype');
    expect(e.message).toContain('takes FP32');
  });

  it('checks the shape against the model and the data against the shape', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'f64',
        { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
        /input f64: shape \[2, 3\] does not fit .*\[-1, 2\]/,
      ],
      ['f32', { shape: [2], data: [1, 2] }, /input f32: shape \[2\] does not fit/],
      ['f64', { shape: [2, 2], data: [1, 2, 3] }, /input f64: 3 values do not fill shape \[2, 2\]/],
      ['f64', { data: [[1, 2], [3]] }, /input f64: nested data does not follow shape \[2, 2\]/],
      ['f64', { data: [[[1, 2]], [[3, 4]]] }, /input f64/],
      ['f32', { shape: [2, '1'] }, /input f32: shape must be a non-empty array of non-negative integers/],
      ['f32', { shape: [0, 1], data: [] }, /input f32: shape dim 0/],
      ['f32', { data: 'abc' }, /input f32: data must be an array/],
    ];
    for (const [name, patch, re] of cases) {
      const e = thrown(() => parseInferRequest({ inputs: withInput(name, patch) }, ALL));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toMatch(re);
    }
  });

  it('refuses elements of the wrong kind, naming the input', () => {
    const cases: [string, unknown[], RegExp][] = [
      ['f32', ['abc', 1], /input f32 takes numbers .*got "abc"/],
      ['f32', [true, 1], /input f32 takes numbers/],
      ['i32', [1.5, 2], /input i32 takes 32-bit integers/],
      ['i32', [2147483648, 2], /input i32 takes 32-bit integers/],
      ['i64', [1, null], /input i64 takes integers/],
      ['b', [1, 0], /input b takes true or false/],
      ['s', [1, 'x'], /input s takes strings/],
    ];
    for (const [name, data, re] of cases) {
      expect(thrown(() => parseInferRequest({ inputs: withInput(name, { data }) }, ALL)).message).toMatch(re);
    }
  });

  it('names an unknown input with the ones expected, and missing inputs', () => {
    const e = thrown(() =>
      parseInferRequest(
        { inputs: [...good(), { name: 'zzz', datatype: 'FP32', shape: [2], data: [1, 2] }] },
        ALL,
      ),
    );
    expect(e.message).toContain('input zzz is not an input of model credit');
    expect(e.message).toContain('f32, f64, i32, i64, b, s');
    const m = thrown(() =>
      parseInferRequest({ inputs: good().filter((i) => i.name !== 'b' && i.name !== 's') }, ALL),
    );
    expect(m.message).toMatch(/missing input\(s\) b, s/);
    expect(thrown(() => parseInferRequest({ inputs: [...good(), good()[0]] }, ALL)).message).toContain(
      'input f32 is given twice',
    );
  });

  it('needs the same batch size on every input', () => {
    const inputs = withInput('i32', { shape: [3], data: [1, 2, 3] });
    expect(thrown(() => parseInferRequest({ inputs }, ALL)).message).toMatch(
      /input i32 has 3 rows .* input f64 has 2/,
    );
  });

  it('refuses malformed envelopes: no inputs, a non-string id, bad outputs, binary data', () => {
    expect(thrown(() => parseInferRequest([], ALL)).message).toMatch(/JSON object/);
    expect(thrown(() => parseInferRequest({}, ALL)).message).toMatch(/inputs must be a non-empty array/);
    expect(thrown(() => parseInferRequest({ id: 42, inputs: good() }, ALL)).details).toEqual({ field: 'id' });
    expect(thrown(() => parseInferRequest({ inputs: good(), parameters: [1] }, ALL)).message).toMatch(
      /parameters/,
    );
    const out = thrown(() => parseInferRequest({ inputs: good(), outputs: [{ name: 'nope' }] }, ALL));
    expect(out.message).toBe('output nope is not an output of the model (it has y)');
    expect(out.details).toEqual({ field: 'outputs' });
    const bin = withInput('f32', { parameters: { binary_data_size: 8 } });
    expect(thrown(() => parseInferRequest({ inputs: bin }, ALL)).message).toMatch(/binary tensor data/);
  });

  it('feeds a Keel model one [1, 1] tensor per feature', () => {
    const req = parseInferRequest(
      {
        inputs: [
          { name: 'age', datatype: 'FP32', shape: [1, 1], data: [42] },
          { name: 'income', datatype: 'FP32', shape: [1, 1], data: [[52000.5]] },
          { name: 'region', datatype: 'BYTES', shape: [1, 1], data: ['north'] },
        ],
      },
      KEEL_IO,
    );
    expect(req.rows).toBe(1);
    expect(Object.keys(req.feeds)).toEqual(['age', 'income', 'region']);
    expect(req.feeds.income!.data).toEqual(new Float32Array([52000.5]));
  });

  it('refuses inputs of a type the runtime cannot feed', () => {
    const io = modelIOOf({ inputs: [tensor('img', 'uint8', ['N', 4])] });
    const e = thrown(() =>
      parseInferRequest(
        { inputs: [{ name: 'img', datatype: 'UINT8', shape: [1, 4], data: [1, 2, 3, 4] }] },
        io,
      ),
    );
    expect(e.message).toContain('model input img has type tensor(uint8)');
  });
});

describe('inferResponse', () => {
  const outputs = {
    label: { type: 'int64', dims: [2], data: new BigInt64Array([1n, 0n]) },
    probabilities: { type: 'float32', dims: [2, 2], data: new Float32Array([0.25, 0.75, 0.5, 0.5]) },
    name: { type: 'string', dims: [2, 1], data: ['a', 'b'] },
    flag: { type: 'bool', dims: [2], data: new Uint8Array([1, 0]) },
    f64: { type: 'float64', dims: [2], data: new Float64Array([0.1, 0.2]) },
  };

  it('returns every output with OIP datatypes and flat JSON data', () => {
    const res = inferResponse({ modelName: 'credit', modelVersion: '3', id: 'r1', outputs });
    expect(res).toEqual({
      model_name: 'credit',
      model_version: '3',
      id: 'r1',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
        { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 0.5, 0.5] },
        { name: 'name', datatype: 'BYTES', shape: [2, 1], data: ['a', 'b'] },
        { name: 'flag', datatype: 'BOOL', shape: [2], data: [true, false] },
        { name: 'f64', datatype: 'FP64', shape: [2], data: [0.1, 0.2] },
      ],
    });
    expect(typeof res.outputs[0]!.data[0]).toBe('number');
    expect(JSON.parse(JSON.stringify(res))).toEqual(res);
  });

  it('returns only the requested outputs, in the order asked, and no id when none was given', () => {
    const res = inferResponse({ modelName: 'm', modelVersion: '1', outputs, requested: ['flag', 'label'] });
    expect(res.outputs.map((o) => o.name)).toEqual(['flag', 'label']);
    expect('id' in res).toBe(false);
  });
});

describe('metadata', () => {
  it('describes inputs and outputs with OIP datatypes and -1 for symbolic dims', () => {
    const io = modelIOOf({
      inputs: [
        tensor('age', 'float', ['N', 1]),
        tensor('region', 'string', [null, 1]),
        tensor('x', 'double', null),
      ],
      outputs: [
        tensor('label', 'int64', ['N']),
        tensor('probabilities', 'float', ['N', 2]),
        {
          name: 'zipmap',
          kind: 'sequence',
          elemType: null,
          shape: null,
          type: 'seq(map(int64,float))',
          docString: '',
        },
      ],
    });
    expect(modelMetadata('credit', ['3'], io)).toEqual({
      name: 'credit',
      versions: ['3'],
      platform: 'onnx_onnxv1',
      inputs: [
        { name: 'age', datatype: 'FP32', shape: [-1, 1] },
        { name: 'region', datatype: 'BYTES', shape: [-1, 1] },
        { name: 'x', datatype: 'FP64', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
  });

  it('server metadata lists no extension unless told, and errors are {error}', () => {
    expect(serverMetadata('0.1.0')).toEqual({ name: 'keel', version: '0.1.0', extensions: [] });
    expect(serverMetadata('0.1.0', ['statistics']).extensions).toEqual(['statistics']);
    expect(oipError('boom')).toEqual({ error: 'boom' });
  });
});
