import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import { listGateResults } from '../../../src/pipelines/gate/index.js';
import { gateStep } from '../../../src/pipelines/steps/builtins/gate.js';
import type { BuiltinContext } from '../../../src/pipelines/steps/types.js';
import { getModelVersion } from '../../../src/registry/versions.js';
import { inProcessKeel } from '../../../src/server/inject.js';
import { DIALECTS, type TestEnv, testApp } from '../../helpers/context.js';
import { putBlob } from '../../registry/fixtures.js';
import { type GateWorld, gateWorld, register } from './fixture.js';

/** A pipeline reference as written in a spec: `${steps.x.outputs.y}`. */
const ref = (path: string): string => `\${${path}}`;

const parse = (w: Record<string, unknown>, resolved = true) => gateStep.parse(w, { resolved });

function parseError(w: Record<string, unknown>, resolved = true): KeelError {
  try {
    parse(w, resolved);
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    return e as KeelError;
  }
  throw new Error('expected with: to be refused');
}

describe('gate step: with:', () => {
  const policy = { data: 'loans-holdout', metrics: [{ metric: 'accuracy', min: 0.8 }] };

  it('takes the policy inline, as a mapping, or as a workspace file', () => {
    const inline = parse({ model: 'loans@3', ...policy });
    expect(inline).toEqual({
      model: 'loans@3',
      policy: expect.objectContaining({ ...policy, against: 'champion' }),
    });
    expect(parse({ model: 'loans@3', policy })).toEqual(inline);
    expect(parse({ model: 'loans@3', policy: 'gates/gate.yaml' })).toEqual({
      model: 'loans@3',
      policy: { file: 'gates/gate.yaml' },
    });
  });

  it('names the with field of a mistake', () => {
    expect(parseError({ model: 'loans@3', policy, data: 'x' }).details).toEqual({ field: 'with.data' });
    expect(parseError({ model: 'loans@3' }).details).toEqual({ field: 'with.policy' });
    expect(parseError({ model: 'loans@', ...policy }).details).toEqual({ field: 'with.model' });
    expect(
      parseError({ model: 'loans@3', data: 'h', metrics: [{ metric: 'acuracy', min: 1 }] }).details,
    ).toEqual({
      field: 'with.metrics[0].metric',
    });
    const nested = parseError({
      model: 'loans@3',
      policy: { data: 'h', metrics: [{ metric: 'acuracy', min: 1 }] },
    });
    expect(nested.details).toEqual({ field: 'with.policy.metrics[0].metric' });
    expect(nested.message).toMatch(/unknown metric 'acuracy'/);
  });

  it('leaves references for run time, then checks the substituted values', () => {
    const raw = {
      model: ref('steps.register.outputs.ref'),
      data: ref('params.holdout'),
      metrics: [{ metric: 'accuracy', min: ref('params.min_accuracy') }],
    };
    expect(parse(raw, false)).toEqual({ model: raw.model, policy: null });
    expect(parseError({ ...raw, model: 'loans@3', data: 'h' }, true).details).toEqual({
      field: 'with.metrics[0].min',
    });
  });
});

describe.each(DIALECTS)('gate step: run (%s)', (dialect) => {
  let env: TestEnv & { app: FastifyInstance };
  let w: GateWorld;
  beforeAll(async () => {
    env = await testApp(dialect);
    w = await gateWorld(env.ctx);
    await register(env.ctx, w, 'loans', 'strong', { alias: 'champion' });
  });
  afterAll(async () => env.cleanup());

  const context = (
    withArgs: Record<string, unknown>,
    runId: number,
  ): BuiltinContext & { with: ReturnType<typeof parse> } & { lines: string[] } => {
    const lines: string[] = [];
    return {
      ctx: env.ctx,
      keel: inProcessKeel(env.app, 'pipeline:retrain'),
      pipeline: 'retrain',
      runId,
      step: 'gate',
      workDir: process.cwd(),
      with: parse(withArgs),
      params: {},
      trackedRunId: 'run-1',
      log: (l) => lines.push(l),
      signal: new AbortController().signal,
      lines,
    };
  };

  const policy = { data: 'loans-holdout', metrics: [{ metric: 'accuracy', max_regression: 0.01 }] };

  it('a passing gate approves the candidate as the pipeline and hands its ref downstream; a re-run reuses it', async () => {
    const version = await register(env.ctx, w, 'loans', 'strong');
    const b = context({ model: `loans@${version}`, ...policy }, 1);
    const r = await gateStep.run(b);
    expect(r.outputs).toEqual({
      passed: true,
      decision: 'approved',
      model: 'loans',
      version,
      ref: `loans@${version}`,
    });
    expect(r.metrics).toMatchObject({ gate_checks: 1, accuracy: expect.any(Number) });
    expect(b.lines.at(-1)).toBe(`loans@${version} approved`);
    expect((await getModelVersion(env.ctx, 'loans', version)).approval).toMatchObject({
      status: 'approved',
      actor: 'pipeline:retrain',
    });
    expect(await gateStep.run(context({ model: `loans@${version}`, ...policy }, 1))).toEqual(r);
    expect(await listGateResults(env.ctx, 'loans', version)).toHaveLength(1);
    expect(await gateStep.fingerprint!(b)).toBe(false);
  });

  it('a failing gate fails the step with the reasons, once recorded however often it runs', async () => {
    const version = await register(env.ctx, w, 'loans', 'weak');
    for (let i = 0; i < 2; i++) {
      const e = await gateStep
        .run(context({ model: `loans@${version}`, ...policy }, 2))
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KeelError);
      expect((e as KeelError).message).toMatch(
        new RegExp(
          `^gate failed: loans@${version} rejected: accuracy 0\\.\\d{4} vs champion loans@1 0\\.\\d{4}: 0\\.\\d{4} worse, more than the allowed 0\\.01$`,
        ),
      );
    }
    expect(await listGateResults(env.ctx, 'loans', version)).toHaveLength(1);
    expect((await getModelVersion(env.ctx, 'loans', version)).approval.status).toBe('rejected');
  });

  it('reads a policy file, and the expectations it names, from the run workspace', async () => {
    const file = async (text: string) => {
      const bytes = new TextEncoder().encode(text);
      return { sha256: await putBlob(env.ctx, bytes), size: bytes.length };
    };
    const workspace = {
      'gates/gate.yaml': await file(
        'data: loans-holdout\ndata_quality: { suggested: false, expectations: expect.yaml }\n',
      ),
      'gates/expect.yaml': await file('expectations:\n  - { check: in_range, column: salary, max: 1000 }\n'),
    };
    const now = env.ctx.clock.now();
    await env.ctx.store.db
      .insertInto('pipeline_runs')
      .values({
        id: 4242,
        pipeline: 'retrain',
        revision: 1,
        spec: '{}',
        workspace: JSON.stringify(workspace),
        params: '{}',
        status: 'running',
        trigger: 'manual',
        trigger_key: null,
        trigger_context: '{}',
        force: 0,
        tracked_run_id: null,
        error: null,
        created_at: now,
        started_at: now,
        finished_at: null,
        requested_by: 'alice',
      } as never)
      .execute();
    const version = await register(env.ctx, w, 'loans', 'strong');
    const e = await gateStep
      .run(context({ model: `loans@${version}`, policy: './gates/gate.yaml' }, 4242))
      .catch((x: unknown) => x);
    expect((e as KeelError).message).toMatch(/in_range salary/);
    const missing = await gateStep
      .run(context({ model: `loans@${version}`, policy: 'gates/other.yaml' }, 4242))
      .catch((x: unknown) => x);
    expect((missing as KeelError).message).toMatch(/gates\/other\.yaml is not in the pipeline's workspace/);
  });
});
