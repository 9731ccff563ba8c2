import cliProgress from 'cli-progress';
import { fmtBytes } from './output.js';

export type ProgressUnit = 'bytes' | 'rows' | 'files' | 'iterations';

/** A progress display: `update` takes the absolute amount done so far. */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

export interface ProgressOptions {
  unit: ProgressUnit;
  /** Where to draw (default process.stderr); nothing is drawn unless it is a TTY. */
  stream?: NodeJS.WriteStream;
  /** Draw only once the work has lasted this long (default 1000 ms): quick work stays silent. */
  delayMs?: number;
}

/**
 * A progress bar on stderr for `total` units of work. Silent when stderr is not a TTY (pipes, CI
 * logs) and for work that ends within `delayMs`, so scripts and quick commands print nothing extra.
 */
export function progressBar(label: string, total: number, opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  let done = 0;
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  const draw = (): void => {
    if (bar || stopped || !stream.isTTY) return;
    bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {value}/{total}${opts.unit === 'bytes' ? '' : ` ${opts.unit}`} | ETA {eta_formatted}`,
        formatValue: (v, options, type) =>
          opts.unit === 'bytes' && (type === 'value' || type === 'total')
            ? fmtBytes(v)
            : cliProgress.Format.ValueFormat(v, options, type),
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, done);
  };
  // A timer as well as update(): a long step with no update in between still shows the bar.
  const timer = setTimeout(draw, opts.delayMs ?? 1000);
  timer.unref();
  const started = Date.now();
  return {
    update(n: number): void {
      done = n;
      if (bar) bar.update(n);
      else if (Date.now() - started >= (opts.delayMs ?? 1000)) draw();
    },
    stop(): void {
      clearTimeout(timer);
      stopped = true;
      if (bar) {
        bar.update(done);
        bar.stop();
      }
    },
  };
}
