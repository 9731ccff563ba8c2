/** The deployments domain's typed errors. */
import { alreadyExists, KeelError, notFound } from '../../core/errors.js';

/**
 * The deployment is not in a state that allows the request (nothing to promote, no previous
 * version to roll back to). The client can fix it, so it is a 400 rather than MLflow's 500.
 */
export class DeploymentStateError extends KeelError {
  override readonly status = 400;
  constructor(message: string, field?: string) {
    super('INVALID_STATE', message, field ? { field } : undefined);
  }
}

export const deploymentNotFound = (name: string): KeelError =>
  notFound(`Deployment '${name}' not found`, 'name');

export const deploymentExists = (name: string): KeelError =>
  alreadyExists(`Deployment '${name}' already exists`);

/** Another writer changed the deployment between our read and our write, twice in a row. */
export const deploymentConflict = (name: string): KeelError =>
  new KeelError(
    'RESOURCE_CONFLICT',
    `Deployment '${name}' was changed by someone else while this change was prepared; read it again and retry`,
  );
