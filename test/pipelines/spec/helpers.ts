import { invalidParam } from '../../../src/core/errors.js';
import { type PipelineSpec, parsePipelineFile } from '../../../src/pipelines/spec/index.js';
import type { Builtin } from '../../../src/pipelines/steps/types.js';

const isRef = (v: unknown): boolean => typeof v === 'string' && v.includes('${');

/** A test built-in whose `with:` needs string fields `required` (a `${…}` stands in until run time). */
function builtin(
  name: string,
  required: string[],
  extra: (w: Record<string, unknown>) => void = () => {},
): Builtin {
  return {
    name,
    description: `test ${name}`,
    parse(w, { resolved }) {
      for (const f of required) {
        if (w[f] === undefined) throw invalidParam(`${f} is required`, f);
        if (typeof w[f] !== 'string') throw invalidParam(`${f} must be a string`, f);
        if (resolved && isRef(w[f])) throw invalidParam(`${f} still holds a reference`, f);
      }
      extra(w);
      return w;
    },
    run: async () => ({ outputs: {} }),
  };
}

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map([
  ['data.snapshot', builtin('data.snapshot', ['name'])],
  [
    'train',
    builtin('train', ['data', 'trainer'], (w) => {
      if (!isRef(w['trainer']) && !['gbdt', 'linear'].includes(w['trainer'] as string))
        throw invalidParam(`trainer must be gbdt or linear, got ${String(w['trainer'])}`, 'trainer');
    }),
  ],
]);

/** The format's example, as in the design. */
export const EXAMPLE = `pipelines:
  retrain:
    description: retrain the loan model on recent labelled data
    params:
      trees: 100
      window: 30d
    concurrency: 1
    triggers:
      - schedule: "0 3 * * *"
        timezone: Europe/Paris
      - alert: { monitor: loans, rule: "drift_share > 0.5" }
      - dataset: loans
    steps:
      snapshot:
        uses: data.snapshot
        with: { name: loans-recent, deployment: loans, window: "\${params.window}" }
      prepare:
        cmd: python prepare.py --out data/prepared.csv
        deps: [prepare.py, data/raw/]
        outs: [data/prepared.csv]
        params: [window]
        metrics: [metrics.json]
        env: { PYTHONHASHSEED: "0" }
        timeout: 10m
        retries: 2
        cache: true
      train:
        uses: train
        with: { data: "\${steps.snapshot.outputs.ref}", trainer: gbdt, target: approved, params: "trees=\${params.trees}" }
        after: [prepare]
`;

export const parse = (text: string, file = 'keel.yaml'): PipelineSpec[] =>
  parsePipelineFile(text, { file, builtins: BUILTINS });

/** Parses one pipeline made of `steps` (YAML under `steps:`, indented by 6) and optional extra pipeline fields. */
export function pipeline(steps: string, extra = ''): PipelineSpec {
  return parse(`pipelines:\n  p:\n${extra}    steps:\n${steps}`)[0]!;
}

/** The message `fn` throws (fails the test if it does not). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}
