/** Deployment rows ↔ the domain type. */
import type { Db } from '../../store/db.js';
import type { DeploymentsTable } from '../../store/schema.js';
import type { Deployment, DeploymentSpec } from '../types.js';
import { deploymentNotFound } from './errors.js';
import { normalizeSpec } from './spec.js';

export function toDeployment(r: DeploymentsTable): Deployment {
  return {
    name: r.name,
    description: r.description,
    sourceRef: r.source_ref,
    spec: normalizeSpec(JSON.parse(r.spec) as DeploymentSpec),
    revision: Number(r.revision),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    createdBy: r.created_by,
  };
}

export function toRow(d: Deployment): DeploymentsTable {
  return {
    name: d.name,
    description: d.description,
    model: d.spec.model,
    source_ref: d.sourceRef,
    spec: JSON.stringify(normalizeSpec(d.spec)),
    revision: d.revision,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    created_by: d.createdBy,
  };
}

export async function findDeployment(db: Db, name: string): Promise<Deployment | null> {
  const row = await db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toDeployment(row) : null;
}

/** The deployment, or RESOURCE_DOES_NOT_EXIST naming it. */
export async function requireDeployment(db: Db, name: string): Promise<Deployment> {
  const d = await findDeployment(db, name);
  if (!d) throw deploymentNotFound(name);
  return d;
}

/**
 * Writes `next` over the row only if it is still at `expectedRevision`; false when another writer
 * changed (or deleted) it meanwhile. The WHERE on the revision is what makes read-modify-write
 * safe on PostgreSQL's READ COMMITTED as well as under SQLite's single writer.
 */
export async function replaceIfRevision(
  db: Db,
  next: Deployment,
  expectedRevision: number,
): Promise<boolean> {
  const { name, created_at: _c, created_by: _b, ...set } = toRow(next);
  const r = await db
    .updateTable('deployments')
    .set(set)
    .where('name', '=', name)
    .where('revision', '=', expectedRevision)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
