/**
 * `uses: register`: registers the model a run logged (by default the one the pipeline run's
 * `train` step logged) as a new version, pending approval, like `keel models register --run`.
 */
import { z } from 'zod';
import { invalidParam } from '../../../core/errors.js';
import { validateAlias } from '../../../registry/aliases.js';
import { validateModelName } from '../../../registry/rows.js';
import { type Keel, KeelApiError, type ModelVersion } from '../../../sdk/index.js';
import { experimentOf, PIPELINE_RUN_TAG } from '../../tracked.js';
import type { Builtin, BuiltinContext, BuiltinResult } from '../types.js';
import { madeBy, provenanceTags } from './provenance.js';
import { asWithError, parseWith, text } from './with.js';

const Schema = z.strictObject({
  model: text,
  /** A run id, or a `runs:/<id>/<path>` URI (the train step's `model_uri`). */
  from: text.optional(),
  description: z.string().optional(),
  intended_use: text.optional(),
  alias: text.optional(),
});

export type RegisterWith = {
  model: string;
  from?: string | undefined;
  description?: string | undefined;
  intended_use?: string | undefined;
  alias?: string | undefined;
};

/** The version this step registered in an earlier attempt, if any. */
async function registeredBefore(keel: Keel, b: BuiltinContext & { with: RegisterWith }) {
  let versions: ModelVersion[];
  try {
    versions = await keel.models.listVersions(b.with.model);
  } catch (e) {
    if (e instanceof KeelApiError && e.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw e;
  }
  return versions.find((v) => madeBy(v.tags, b));
}

/**
 * The run that logged the model: `with.from`, else the one run of this pipeline run that a
 * `train` step logged a model into (tagged `keel.task`).
 */
async function sourceOf(
  keel: Keel,
  b: BuiltinContext & { with: RegisterWith },
): Promise<{ runId: string; path: string }> {
  const from = b.with.from;
  if (from !== undefined) {
    const uri = /^runs:\/([^/]+)\/(.+)$/.exec(from);
    if (uri) return { runId: uri[1]!, path: uri[2]! };
    if (from.includes('/') || from.includes(':'))
      throw invalidParam(
        `register: with.from '${from}' is neither a run id nor runs:/<run id>/<path>`,
        'with.from',
      );
    return { runId: from, path: 'model' };
  }
  const experiment = await keel.experiments.getByName(experimentOf(b.pipeline)).catch(() => undefined);
  const runs = experiment
    ? (
        await keel.runs.search({
          experimentIds: [experiment.experimentId],
          filter: `tags."${PIPELINE_RUN_TAG}" = '${b.runId}'`,
          maxResults: 1000,
        })
      ).runs.filter((r) => r.data.tags.some((t) => t.key === 'keel.task'))
    : [];
  if (runs.length !== 1)
    throw invalidParam(
      runs.length === 0
        ? // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference syntax, shown to the user
          'register: no train step of this pipeline run has logged a model; give with.from (a run id or ${steps.<train>.outputs.model_uri})'
        : `register: ${runs.length} train steps of this pipeline run logged models; give with.from to choose one`,
      'with.from',
    );
  return { runId: runs[0]!.info.runId, path: 'model' };
}

function result(v: ModelVersion): BuiltinResult {
  return {
    outputs: {
      model: v.name,
      version: v.version,
      ref: `${v.name}@${v.version}`,
      run_id: v.runId,
      approval: v.approval.status,
    },
  };
}

export const registerStep: Builtin<RegisterWith> = {
  name: 'register',
  description:
    "Register a run's logged model (default: this pipeline run's train step) as a new model version",

  parse(withArgs, opts) {
    const { value, pending } = parseWith('register', Schema, withArgs, opts);
    try {
      if (!pending.has('model')) validateModelName(value.model as string, 'model');
      if (value.alias !== undefined && !pending.has('alias')) validateAlias(value.alias as string);
    } catch (e) {
      const field = (e as { details?: { field?: string } }).details?.field ?? 'model';
      throw asWithError('register', field, e);
    }
    return value as RegisterWith;
  },

  async fingerprint(b) {
    // Without with.from the source is found at run time: the cache must see which run it was.
    return `run:${(await sourceOf(b.keel, b)).runId}`;
  },

  async run(b) {
    const { keel, with: w } = b;
    let v = await registeredBefore(keel, b);
    if (v) b.log(`an earlier attempt already registered ${v.name}@${v.version}: reusing it`);
    else {
      const source = await sourceOf(keel, b);
      v = await keel.models.registerVersion({
        name: w.model,
        runId: source.runId,
        artifactPath: source.path,
        createModel: true,
        ...(w.description ? { description: w.description } : {}),
        tags: { ...(w.intended_use ? { intended_use: w.intended_use } : {}), ...provenanceTags(b) },
      });
      b.log(`registered ${v.name}@${v.version} from run ${source.runId} (approval: ${v.approval.status})`);
    }
    if (w.alias !== undefined && !v.aliases.includes(w.alias)) {
      await keel.models.setAlias(v.name, w.alias, v.version);
      b.log(`alias ${v.name}@${w.alias} → ${v.version}`);
    }
    return result(v);
  },
};
