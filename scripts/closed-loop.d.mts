/** Types of scripts/closed-loop.mjs, for the end-to-end test that runs it. */
export const FEATURES: string[];
export const PIPELINE: string;

export interface ClosedLoopOptions {
  url: string;
  dir: string;
  perWeek?: number;
  trainRows?: number;
  weeks?: number;
  shiftWeek?: number;
  /** The server's --schedule-interval (ms). */
  tick?: number;
  out?: (line: string) => void;
}

export interface ClosedLoopSummary {
  before: number | null;
  drifted: number | null;
  after: number | null;
  promotedAt: string | null;
  runs: number[];
}

export function closedLoop(opts: ClosedLoopOptions): Promise<ClosedLoopSummary>;
