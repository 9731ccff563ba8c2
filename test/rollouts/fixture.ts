/**
 * A real Keel server for rollout tests: buildApp (serving, registry, prediction log, alerts) on a
 * free port, plus the rollout routes registered exactly as the server will, on a second Fastify
 * app sharing the context and the ServingManager. Small ONNX models on three features: the
 * baseline, an equal candidate, one with shifted predictions, one that predicts the opposite, and
 * one that fails at inference on real inputs (but not on the all-zero warm-up).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { seededRandom } from '../../src/core/random.js';
import { attr, model, node, tensor, valueInfo } from '../../src/models/onnx/write.js';
import { RolloutController } from '../../src/rollouts/index.js';
import { Keel } from '../../src/sdk/index.js';
import { type Rollouts, rolloutsOf } from '../../src/sdk/rollouts.js';
import { buildApp } from '../../src/server/app.js';
import { registerAuth } from '../../src/server/auth.js';
import { registerErrorHandler } from '../../src/server/errors.js';
import { registerRolloutRoutes } from '../../src/server/routes/v1/rollouts.js';
import { stickyBucket } from '../../src/serving/router.js';
import { type Dialect, type TestEnv, testEnv } from '../helpers/context.js';
import { FEATURES, logregOnnx } from '../registry/fixtures.js';

export const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
export const W = [0.8, -1.2, 0.35];
const B = -0.1;

const opset = [{ domain: '', version: 17 }];
const metadata = { 'keel.features': JSON.stringify(FEATURES) };

/** 1 − Sigmoid(X·W + b): the baseline's predictions turned around. */
export function oppositeOnnx(): Uint8Array {
  return model({
    graph: {
      name: 'opposite',
      nodes: [
        node('MatMul', ['X', 'W'], ['z0']),
        node('Add', ['z0', 'B'], ['z']),
        node('Sigmoid', ['z'], ['s']),
        node('Sub', ['one', 's'], ['prob']),
      ],
      inputs: [valueInfo('X', 'float', ['N', 3])],
      outputs: [valueInfo('prob', 'float', ['N', 1])],
      initializers: [
        tensor('W', [3, 1], new Float32Array(W)),
        tensor('B', [1], [B]),
        tensor('one', [1], [1]),
      ],
    },
    opsets: opset,
    metadata,
  });
}

/**
 * Looks x1 up in a three-entry table: fine for x1 in [0, 3) (the warm-up feeds zeros), an
 * out-of-bounds Gather — an inference error — for x1 ≥ 3.
 */
export function failingOnnx(): Uint8Array {
  return model({
    graph: {
      name: 'failing',
      nodes: [
        node('Slice', ['X', 'starts', 'ends', 'axes'], ['x1']),
        node('Cast', ['x1'], ['idx'], { to: attr.int(7) }),
        node('Gather', ['table', 'idx'], ['prob']),
      ],
      inputs: [valueInfo('X', 'float', ['N', 3])],
      outputs: [valueInfo('prob', 'float', ['N', 1])],
      initializers: [
        tensor('starts', [1], [0n]),
        tensor('ends', [1], [1n]),
        tensor('axes', [1], [1n]),
        tensor('table', [3], [0.2, 0.5, 0.8]),
      ],
    },
    opsets: opset,
    metadata,
  });
}

/** Like failingOnnx, but its index is always out of bounds: it fails the all-zero warm-up too. */
export function unwarmableOnnx(): Uint8Array {
  return model({
    graph: {
      name: 'unwarmable',
      nodes: [
        node('Slice', ['X', 'starts', 'ends', 'axes'], ['x1']),
        node('Cast', ['x1'], ['i0'], { to: attr.int(7) }),
        node('Add', ['i0', 'five'], ['idx']),
        node('Gather', ['table', 'idx'], ['prob']),
      ],
      inputs: [valueInfo('X', 'float', ['N', 3])],
      outputs: [valueInfo('prob', 'float', ['N', 1])],
      initializers: [
        tensor('starts', [1], [0n]),
        tensor('ends', [1], [1n]),
        tensor('axes', [1], [1n]),
        tensor('five', [1], [5n]),
        tensor('table', [3], [0.2, 0.5, 0.8]),
      ],
    },
    opsets: opset,
    metadata,
  });
}

/** The baseline's probability for a row (what labels are drawn from). */
export const truth = (x: number[]): number =>
  1 / (1 + Math.exp(-(W[0]! * x[0]! + W[1]! * x[1]! + W[2]! * x[2]! + B)));

export type Route = 'canary' | 'primary';

export interface SendOptions {
  route: Route;
  /** The canary weight now (which sticky keys reach which route). */
  weight: number;
  /** Event time of the request. */
  at: number;
  rows?: number;
  /** Fixed x1 for every row (3.5 makes the failing model fail). */
  x1?: number;
}

export interface RolloutServer {
  env: TestEnv;
  app: FastifyInstance;
  /** The rollout routes, as registered on the server. */
  api: FastifyInstance;
  url: string;
  keel: Keel;
  rollouts: Rollouts;
  controller: RolloutController;
  /** Registers `bytes` as the next version of `credit`. */
  register(bytes: Uint8Array): Promise<number>;
  /** Creates `name` serving credit@`version`, sticky by header x-user, 60 s log windows. */
  deploy(name: string, version: number): Promise<void>;
  /** One prediction request to `route`; resolves with the HTTP status and request id. */
  send(name: string, o: SendOptions): Promise<{ status: number; requestId: string; inputs: number[][] }>;
  /** Writes what the prediction log holds, then runs one controller tick. */
  tick(): Promise<Map<number, string>>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** A sticky key that lands on `route` when the canary takes `weight`%. */
function keyFor(route: Route, weight: number, n: number): string {
  for (let i = n; ; i++) {
    const k = `user-${i}`;
    const canary = stickyBucket(k) < weight * 100;
    if (canary === (route === 'canary')) return k;
  }
}

export async function rolloutServer(dialect: Dialect): Promise<RolloutServer> {
  const env = await testEnv(dialect);
  const app = await buildApp(env.ctx, { allowLocal: true, deliveries: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const api = Fastify({ logger: false });
  api.setValidatorCompiler(() => () => true);
  api.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(api, api.initialConfig.bodyLimit ?? 0);
  api.removeContentTypeParser('text/plain');
  registerAuth(api, env.ctx, { allowLocal: true });
  registerRolloutRoutes(api, env.ctx, app.serving);
  const apiUrl = await api.listen({ port: 0, host: '127.0.0.1' });
  const keel = new Keel({ url });
  const random = seededRandom(11);
  let requests = 0;
  let created = false;
  const controller = new RolloutController(env.ctx, app.serving);
  const call = async (method: string, path: string, body?: unknown) => {
    const base = path.includes('/rollouts') ? apiUrl : url;
    const r = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    env,
    app,
    api,
    url,
    keel,
    rollouts: rolloutsOf({ transport: new Keel({ url: apiUrl }).transport }),
    controller,
    call,
    async register(bytes) {
      const v = await keel.models.registerVersion({ name: 'credit', onnx: bytes, createModel: !created });
      created = true;
      return v.version;
    },
    async deploy(name, version) {
      await keel.deployments.create({ name, model: `credit@${version}`, log: { windowSeconds: 60 } });
      await keel.deployments.setTraffic(name, { sticky: { header: 'x-user' } });
    },
    async send(name, o) {
      const inputs = Array.from({ length: o.rows ?? 10 }, () => [
        o.x1 ?? Math.round((random() * 6 - 3) * 100) / 100,
        Math.floor(random() * 10),
        Math.round(random() * 500) / 100,
      ]);
      const r = await fetch(`${url}/api/v1/deployments/${name}/predict`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-keel-event-time': String(o.at),
          'x-user': keyFor(o.route, o.weight, requests++ * 7),
        },
        body: JSON.stringify({ records: inputs.map(([x1, x2, x3]) => ({ x1, x2, x3 })) }),
      });
      const body = (await r.json()) as { request_id?: string; route?: string };
      if (r.status === 200 && body.route !== o.route)
        throw new Error(`expected route ${o.route}, got ${body.route}`);
      return { status: r.status, requestId: body.request_id ?? '', inputs };
    },
    async tick() {
      await app.serving.log?.flush();
      return controller.tick();
    },
    async close() {
      await api.close();
      await app.close();
      await env.cleanup();
    },
  };
}

/** The baseline model and an equal candidate (same weights, another file). */
export const baselineOnnx = (): Uint8Array => logregOnnx(1);
export const equalOnnx = (): Uint8Array => logregOnnx(1, { 'keel.note': 'retrained, same weights' });
/** Weights that move the predictions far from the baseline's. */
export const shiftedOnnx = (): Uint8Array => logregOnnx(4);
