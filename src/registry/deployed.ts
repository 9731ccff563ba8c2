/**
 * The registry's guard for deployments. A deployment names its model and versions inside a JSON
 * spec that no foreign key sees, so the registry checks it before deleting a version a deployment
 * routes to (or keeps loaded as its rollback target), and before deleting or renaming a model that
 * is deployed: otherwise the deployment would fail to load after the next restart.
 */
import { invalidParam, type KeelError } from '../core/errors.js';
import { routesOf, versionsOf } from '../serving/deployments/spec.js';
import type { DeploymentSpec } from '../serving/types.js';
import type { Db } from '../store/db.js';
import { modelNotFound, versionNotFound } from './rows.js';

/** How one deployment uses one version: its routes, plus `previous` for the rollback target. */
export interface VersionUse {
  deployment: string;
  version: number;
  routes: string[];
}

/** Every use of `model`'s versions (only `version`'s when given) by deployments, by deployment name. */
export async function deploymentUses(db: Db, model: string, version?: number): Promise<VersionUse[]> {
  const rows = await db
    .selectFrom('deployments')
    .select(['name', 'spec'])
    .where('model', '=', model)
    .orderBy('name')
    .execute();
  const uses: VersionUse[] = [];
  for (const row of rows) {
    const spec = JSON.parse(row.spec) as DeploymentSpec;
    for (const v of versionsOf(spec)) {
      if (version !== undefined && v !== version) continue;
      const routes: string[] = routesOf(spec, v);
      if (spec.previous === v) routes.push('previous');
      uses.push({ deployment: row.name, version: v, routes });
    }
  }
  return uses;
}

const routeText = (route: string): string =>
  route.startsWith('variant:')
    ? `variant ${route.slice('variant:'.length)}`
    : route === 'previous'
      ? 'the rollback target (previous primary)'
      : route === 'shadow'
        ? 'a shadow'
        : `the ${route}`;

/** The `keel deploy` commands that release a version from these routes. */
function releaseHint(uses: VersionUse[]): string {
  const cmds = new Set<string>();
  for (const r of uses.flatMap((u) => u.routes)) {
    cmds.add(r === 'primary' || r === 'previous' ? 'set-primary' : 'set-traffic');
  }
  cmds.add('rm');
  return `keel deploy ${[...cmds].join(' / ')}`;
}

/**
 * Refuses (INVALID_PARAMETER_VALUE, 400) to delete `model@version` while a deployment uses it,
 * naming each deployment and route. Call it inside the deleting transaction.
 */
export async function refuseIfVersionDeployed(db: Db, model: string, version: number): Promise<void> {
  const uses = await deploymentUses(db, model, version);
  if (uses.length === 0) return;
  const where = uses
    .map((u) => `${u.routes.map(routeText).join(' and ')} of deployment ${u.deployment}`)
    .join(', and ');
  const them = uses.length === 1 ? 'the deployment' : 'those deployments';
  throw invalidParam(
    `${model}@${version} is ${where}; change ${them} first (${releaseHint(uses)})`,
    'version',
  );
}

/**
 * Refuses (INVALID_PARAMETER_VALUE, 400) to delete or rename `model` while any deployment serves
 * it: a deployment cannot switch models, so the only way out is deleting the deployment.
 */
export async function refuseIfModelDeployed(
  db: Db,
  model: string,
  action: 'delete' | 'rename',
): Promise<void> {
  const uses = await deploymentUses(db, model);
  if (uses.length === 0) return;
  throw modelDeployed(model, action, uses);
}

function modelDeployed(model: string, action: 'delete' | 'rename', uses: VersionUse[]): KeelError {
  const byDeployment = new Map<string, string[]>();
  for (const u of uses) {
    const list = byDeployment.get(u.deployment) ?? [];
    list.push(`${model}@${u.version} ${u.routes.join('+')}`);
    byDeployment.set(u.deployment, list);
  }
  const one = byDeployment.size === 1;
  const listed = [...byDeployment].map(([name, routes]) => `${name} (${routes.join(', ')})`).join(', ');
  const rm = [...byDeployment.keys()].map((name) => `keel deploy rm ${name}`).join(', ');
  return invalidParam(
    `Cannot ${action} model ${model}: it is deployed by ${one ? 'deployment' : 'deployments'} ${listed}; delete ${one ? 'the deployment' : 'those deployments'} first (${rm})`,
    'name',
  );
}

/**
 * The deployments side of the guard, inside a deployment's write: locks the model's row (the row
 * the registry's delete and rename take first, so the two serialize on PostgreSQL too) and checks
 * that `versions` still exist. Loading a version takes seconds, and it may be deleted meanwhile.
 * Versions the deployment already held need no check: the registry refuses to delete those.
 */
export async function lockDeployableVersions(db: Db, model: string, versions: number[]): Promise<void> {
  if (versions.length === 0) return;
  const locked = await db
    .updateTable('registered_models')
    .set((eb) => ({ last_version: eb.ref('last_version') }))
    .where('name', '=', model)
    .executeTakeFirst();
  if (Number(locked.numUpdatedRows) === 0) throw modelNotFound(model);
  const found = await db
    .selectFrom('model_versions')
    .select('version')
    .where('name', '=', model)
    .where('version', 'in', versions)
    .execute();
  const have = new Set(found.map((r) => Number(r.version)));
  const gone = versions.find((v) => !have.has(v));
  if (gone !== undefined) throw versionNotFound(model, gone);
}
