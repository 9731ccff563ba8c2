/** Progressive delivery: rollouts with automatic canary analysis per step. */

export { RULE as ROLLOUT_ALERT_RULE, rolloutMonitor } from './alert.js';
export { analyseStep, chooseBaseline } from './analysis.js';
export { type ControllerOptions, RolloutController, type RolloutOutcome } from './controller.js';
export {
  DEFAULT_HOLD,
  DEFAULT_STEPS,
  describeHold,
  parseHold,
  parsePolicy,
  type RolloutPolicyInput,
  RolloutPolicySchema,
} from './policy.js';
export { RolloutScheduler, type RolloutSchedulerOptions } from './scheduler.js';
export { abortRollout, type NewRollout, startRollout } from './start.js';
export { getRollout, listRollouts, ROLLOUT_STATUSES } from './store.js';
export { controllerActor } from './transitions.js';
export type * from './types.js';
