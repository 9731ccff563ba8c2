/** The deployments domain: persisted, audited routing specs that the serving runtime follows. */
export {
  createDeployment,
  type DeploymentPatch,
  deleteDeployment,
  getDeployment,
  listDeployments,
  type NewDeployment,
  promote,
  rollback,
  setPrimary,
  setTraffic,
  updateSettings,
} from './deployments.js';
export { DeploymentStateError } from './errors.js';
export type { VersionRef } from './refs.js';
export { MAX_QUEUE_ROWS, routesOf, validateDeploymentName, versionsOf } from './spec.js';
export type { TrafficChange, VersionChoice } from './traffic.js';
