/**
 * Runs the rollout controller periodically in `keel server`. Each rollout is leased while it is
 * evaluated, so with several replicas one acts on it at a time.
 */
import type { Context } from '../context.js';
import type { DeploymentHooks } from '../serving/types.js';
import { RolloutController } from './controller.js';

export interface RolloutSchedulerOptions {
  /** How often running rollouts are evaluated (ms, default 5000). */
  intervalMs?: number;
}

export class RolloutScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly intervalMs: number;
  readonly controller: RolloutController;

  constructor(
    private readonly ctx: Context,
    hooks: DeploymentHooks,
    opts: RolloutSchedulerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 5000;
    this.controller = new RolloutController(ctx, hooks);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.controller
        .tick()
        .then(() => undefined)
        .catch((err: unknown) => this.ctx.logger.warn({ err }, 'rollout controller tick failed'))
        .finally(() => {
          this.running = null;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
