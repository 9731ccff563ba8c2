/**
 * Progress of the long phases a built-in shares with its CLI command (bytes fetched, rows read,
 * boosting rounds): the CLI passes a factory that draws bars on stderr, a pipeline step none.
 */
export type ProgressUnit = 'bytes' | 'rows' | 'files' | 'iterations';

/** One phase's display: `update` takes the absolute amount done so far. */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** Starts a display for `total` units of work. */
export type ProgressFactory = (label: string, total: number, unit: ProgressUnit) => Progress;

/** Draws nothing. */
export const noProgress: ProgressFactory = () => ({ update: () => {}, stop: () => {} });
