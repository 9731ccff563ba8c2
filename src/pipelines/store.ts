/**
 * Pipeline definitions: a pipeline file applied (`keel pipeline apply`, or implicitly by `keel
 * pipeline run` next to a keel.yaml) is parsed again here — the server trusts no client's parse —
 * checked against the workspace manifest the client uploaded, and stored with a revision per
 * pipeline. Every change is audited.
 */
import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import type { Db } from '../store/db.js';
import { type Manifest, manifestCovers } from './cache/index.js';
import { toPipeline } from './rows.js';
import { parsePipelineFile } from './spec/index.js';
import { BUILTINS } from './steps/registry.js';
import type { Pipeline } from './types.js';

export interface ApplyInput {
  /** The pipeline file's text (YAML). */
  source: string;
  /** Its name, for messages and display (e.g. keel.yaml). */
  file: string;
  /** The workspace files the steps depend on, already uploaded as blobs. */
  workspace: Manifest;
}

export async function getPipeline(ctx: Context | { store: { db: Db } }, name: string): Promise<Pipeline> {
  const row = await ctx.store.db
    .selectFrom('pipelines')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw notFound(`Pipeline '${name}' does not exist`, 'name');
  return toPipeline(row);
}

export async function listPipelines(ctx: Context): Promise<Pipeline[]> {
  return (await ctx.store.db.selectFrom('pipelines').selectAll().orderBy('name').execute()).map(toPipeline);
}

/**
 * Creates or updates every pipeline in a file. Nothing is written unless the whole file parses,
 * every workspace dependency is in the manifest and every blob of the manifest is stored.
 */
export async function applyPipelines(ctx: Context, input: ApplyInput, actor: Actor): Promise<Pipeline[]> {
  const specs = parsePipelineFile(input.source, { file: input.file, builtins: BUILTINS });
  for (const spec of specs) {
    const missing = manifestCovers(spec, input.workspace);
    if (missing.length)
      throw invalidParam(
        `pipeline ${spec.name}: ${missing.map((p) => `'${p}'`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} neither produced by a step nor present in the workspace`,
        'workspace',
      );
  }
  const shas = new Set(Object.values(input.workspace).map((f) => f.sha256));
  for (const sha of shas)
    if (!(await ctx.blobs.head(sha)))
      throw invalidParam(
        `workspace blob ${sha} has not been uploaded (PUT /api/v1/blobs/${sha})`,
        'workspace',
      );
  const now = ctx.clock.now();
  const applied: Pipeline[] = [];
  for (const spec of specs) {
    const own = pick(input.workspace, spec);
    applied.push(
      await audited(
        ctx,
        async (trx) => {
          const before = await trx
            .selectFrom('pipelines')
            .selectAll()
            .where('name', '=', spec.name)
            .executeTakeFirst();
          const row = {
            name: spec.name,
            description: spec.description,
            spec: JSON.stringify(spec),
            source: input.source,
            source_file: input.file,
            workspace: JSON.stringify(own),
            revision: before ? Number(before.revision) + 1 : 1,
            enabled: 1,
            created_at: before ? Number(before.created_at) : now,
            updated_at: now,
            created_by: before?.created_by ?? actor,
          };
          const unchanged = before && before.spec === row.spec && before.workspace === row.workspace;
          if (unchanged) return { result: toPipeline(before), audit: null };
          if (before) await trx.updateTable('pipelines').set(row).where('name', '=', spec.name).execute();
          else await trx.insertInto('pipelines').values(row).execute();
          return {
            result: toPipeline(row),
            audit: {
              action: before ? 'pipeline.update' : 'pipeline.create',
              objectType: 'pipeline',
              objectId: spec.name,
              ...(before ? { before: { revision: before.revision } } : {}),
              after: { revision: row.revision, steps: Object.keys(spec.steps), triggers: spec.triggers },
            },
          };
        },
        actor,
      ),
    );
  }
  return applied;
}

/** The manifest entries one pipeline's steps depend on. */
function pick(workspace: Manifest, spec: Pipeline['spec']): Manifest {
  const deps = Object.values(spec.steps).flatMap((s) => s.deps);
  const out: Manifest = {};
  for (const [path, entry] of Object.entries(workspace))
    if (deps.some((d) => path === d || path.startsWith(d.endsWith('/') ? d : `${d}/`))) out[path] = entry;
  return out;
}

export async function deletePipeline(ctx: Context, name: string, actor: Actor): Promise<void> {
  await audited(
    ctx,
    async (trx) => {
      const row = await trx.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) throw notFound(`Pipeline '${name}' does not exist`, 'name');
      const active = await trx
        .selectFrom('pipeline_runs')
        .select('id')
        .where('pipeline', '=', name)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      if (active)
        throw invalidParam(
          `pipeline ${name} has run ${active.id} in progress; cancel it first (keel pipeline cancel ${active.id})`,
          'name',
        );
      await trx.deleteFrom('pipelines').where('name', '=', name).execute();
      await trx.deleteFrom('pipeline_trigger_state').where('pipeline', '=', name).execute();
      return {
        result: undefined,
        audit: {
          action: 'pipeline.delete',
          objectType: 'pipeline',
          objectId: name,
          before: { revision: row.revision },
        },
      };
    },
    actor,
  );
}
