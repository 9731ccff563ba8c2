// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` references in plain strings are what these tests are about.
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import {
  downstreamOf,
  edges,
  readySteps,
  topologicalOrder,
  upstreamOf,
} from '../../../src/pipelines/spec/index.js';
import { pipeline } from './helpers.js';

const spec = pipeline(`      report:
        cmd: cat eval.json
        deps: [eval.json]
      snapshot:
        uses: data.snapshot
        with: { name: recent }
      prepare:
        cmd: python prepare.py
        deps: [prepare.py, data/raw/]
        outs: [data/prepared.csv]
      features:
        cmd: python features.py
        deps: [data/]
        outs: [features/]
      train:
        uses: train
        with: { data: "\${steps.snapshot.outputs.ref}", trainer: gbdt }
        after: [features]
      evaluate:
        cmd: python eval.py --run \${steps.train.outputs.run}
        deps: [features/test.csv]
        metrics: [eval.json]
      lint:
        cmd: ruff check .
`);

describe('the step graph', () => {
  it('has an edge for an out equal to, inside or containing a dep, a ${steps…} reference, and after:', () => {
    expect(edges(spec).map((e) => [e.from, e.to, e.why])).toEqual([
      ['evaluate', 'report', ["out 'eval.json' → dep 'eval.json'"]],
      ['prepare', 'features', ["out 'data/prepared.csv' → dep 'data/'"]],
      ['snapshot', 'train', ['${steps.snapshot.outputs.ref}']],
      ['features', 'train', ['after']],
      ['features', 'evaluate', ["out 'features/' → dep 'features/test.csv'"]],
      ['train', 'evaluate', ['${steps.train.outputs.run}']],
    ]);
    expect(spec.upstream).toEqual({
      report: ['evaluate'],
      snapshot: [],
      prepare: [],
      features: ['prepare'],
      train: ['snapshot', 'features'],
      evaluate: ['features', 'train'],
      lint: [],
    });
  });

  it('orders steps after their upstream steps, ties in file order', () => {
    expect(topologicalOrder(spec)).toEqual([
      'snapshot',
      'prepare',
      'features',
      'train',
      'evaluate',
      'report',
      'lint',
    ]);
  });

  it('finds everything downstream and upstream of a step, transitively', () => {
    expect(downstreamOf(spec, 'prepare')).toEqual(['features', 'train', 'evaluate', 'report']);
    expect(downstreamOf(spec, 'snapshot')).toEqual(['train', 'evaluate', 'report']);
    expect(downstreamOf(spec, 'report')).toEqual([]);
    expect(upstreamOf(spec, 'evaluate')).toEqual(['snapshot', 'prepare', 'features', 'train']);
    expect(upstreamOf(spec, 'lint')).toEqual([]);
  });

  it('says which steps may start given the finished ones', () => {
    expect(readySteps(spec, new Set())).toEqual(['snapshot', 'prepare', 'lint']);
    expect(readySteps(spec, new Set(['snapshot', 'prepare']))).toEqual(['features', 'lint']);
    expect(readySteps(spec, new Set(['snapshot', 'prepare']), new Set(['lint']))).toEqual(['features']);
    // train needs both snapshot and features.
    expect(readySteps(spec, new Set(['prepare', 'features', 'lint']))).toEqual(['snapshot']);
    expect(
      readySteps(spec, new Set(['snapshot', 'prepare', 'features', 'train', 'evaluate', 'lint'])),
    ).toEqual(['report']);
    expect(readySteps(spec, new Set(Object.keys(spec.steps)))).toEqual([]);
  });

  it('refuses an unknown step by name', () => {
    let err: unknown;
    try {
      downstreamOf(spec, 'nope');
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err) && err.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((err as Error).message).toBe("pipeline 'p' has no step 'nope'");
  });

  it("links a built-in's deps (files it reads from its work dir) to the step that writes them", () => {
    const s = pipeline(`      check:
        uses: data.snapshot
        with: { name: checked }
        deps: [reports/]
      report:
        cmd: make report
        outs: [reports/summary.json]
`);
    expect(s.steps['check']!.deps).toEqual(['reports/']);
    expect(edges(s).map((e) => [e.from, e.to])).toEqual([['report', 'check']]);
    expect(topologicalOrder(s)).toEqual(['report', 'check']);
  });

  it('works on a spec read back from JSON (as stored)', () => {
    const stored = JSON.parse(JSON.stringify(spec));
    expect(topologicalOrder(stored)).toEqual(topologicalOrder(spec));
    expect(readySteps(stored, new Set(['snapshot']))).toEqual(['prepare', 'lint']);
  });
});
