/**
 * The trigger scheduler: every few seconds, each enabled pipeline's triggers look for what
 * happened since their cursor (cron ticks, alert events, dataset versions) and start runs keyed by
 * the event. Keys make it safe to run one in every replica: a second scheduler seeing the same
 * event finds the run already started. Cursors only move forward.
 */
import type { Context } from '../../context.js';
import { isKeelError } from '../../core/errors.js';
import { startRun } from '../runs.js';
import { listPipelines } from '../store.js';
import type { Pipeline, Trigger } from '../types.js';
import { alertTriggers, latestAlertEvent } from './alert.js';
import { datasetTriggers } from './dataset.js';
import { scheduleTriggers } from './schedule.js';

export interface TriggerSchedulerOptions {
  intervalMs?: number;
}

export class TriggerScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: Context,
    private readonly opts: TriggerSchedulerOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((e) => this.ctx.logger.error({ err: e }, 'pipeline trigger scheduler failed'))
        .finally(() => {
          this.running = null;
          this.schedule(this.opts.intervalMs ?? 10_000);
        });
    }, ms);
    this.timer.unref();
  }

  /** One look at every pipeline's triggers; returns the runs it started. */
  async tick(): Promise<number[]> {
    const started: number[] = [];
    for (const p of await listPipelines(this.ctx)) {
      if (!p.enabled || this.stopped) continue;
      for (let i = 0; i < p.spec.triggers.length; i++) {
        try {
          started.push(...(await this.fire(p, i)));
        } catch (e) {
          this.ctx.logger.error({ err: e, pipeline: p.name, trigger: i }, 'pipeline trigger failed');
        }
      }
    }
    return started;
  }

  private async fire(p: Pipeline, i: number): Promise<number[]> {
    const t = p.spec.triggers[i]!;
    const now = this.ctx.clock.now();
    const id = `${t.kind}:${i}`;
    const db = this.ctx.store.db;
    const state = await db
      .selectFrom('pipeline_trigger_state')
      .select('cursor')
      .where('pipeline', '=', p.name)
      .where('trigger', '=', id)
      .executeTakeFirst();
    if (!state) {
      // A new trigger starts from now: what happened before it existed does not fire it.
      const cursor = t.kind === 'alert' ? await latestAlertEvent(db) : now;
      await db
        .insertInto('pipeline_trigger_state')
        .values({ pipeline: p.name, trigger: id, cursor, updated_at: now })
        .onConflict((oc) => oc.columns(['pipeline', 'trigger']).doNothing())
        .execute();
      return [];
    }
    const after = Number(state.cursor);
    let found: { triggers: Trigger[]; cursor: number };
    if (t.kind === 'schedule') found = scheduleTriggers(t, i, after, now);
    else if (t.kind === 'alert') found = await alertTriggers(this.ctx, t, after);
    else found = await datasetTriggers(this.ctx, t, after);
    const runs: number[] = [];
    for (const trigger of found.triggers) {
      try {
        const { run, created } = await startRun(this.ctx, { pipeline: p.name, trigger }, `trigger:${t.kind}`);
        if (created) {
          runs.push(run.id);
          this.ctx.logger.info(
            { pipeline: p.name, run: run.id, trigger: trigger.key },
            'pipeline run triggered',
          );
        }
      } catch (e) {
        // A run the pipeline refuses (e.g. a trigger value its params reject) will be refused every
        // time: say so once and move past the event. Anything else (the database) is retried.
        if (!isKeelError(e) || e.status >= 500) throw e;
        this.ctx.logger.error({ err: e, pipeline: p.name, trigger: trigger.key }, 'pipeline trigger refused');
      }
    }
    if (found.cursor > after)
      await db
        .updateTable('pipeline_trigger_state')
        .set({ cursor: found.cursor, updated_at: now })
        .where('pipeline', '=', p.name)
        .where('trigger', '=', id)
        .where('cursor', '<', found.cursor)
        .execute();
    return runs;
  }
}
