/**
 * A terminal progress bar with rate and ETA, fed by the library's onProgress(done, total, stage?) callbacks.
 * It draws on stderr (stdout stays clean for results) and only when stderr is a TTY; otherwise it prints
 * a line at most every few seconds so CI logs show the work is alive.
 */
export interface ProgressBar {
  update(done: number, total: number): void;
  /** Draws the final line; `failed`: the work threw, so the bar is cleared and no "done" line is printed. */
  finish(failed?: boolean): void;
}

export function progressBar(label: string, unit = 'it'): ProgressBar {
  const start = performance.now();
  const tty = process.stderr.isTTY === true;
  // The first report draws at once (a stage is shown from its start, in a log too); later ones at most every 100 ms
  // on a terminal, every 5 s in a log.
  let lastDraw = -Infinity;
  let lastDone = 0;
  let lastTotal = 0;
  let updated = false;
  const draw = (final: boolean) => {
    const elapsed = (performance.now() - start) / 1000;
    if (!updated || lastTotal <= 0) {
      // No known total (a stage that reports no progress, or an open-ended count): no bar, no percentage, no ETA.
      const count = updated ? ` ${lastDone} ${unit}` : '';
      const text = `${label}${count} ${final ? `done in ${formatSeconds(elapsed)}` : `${formatSeconds(elapsed)} elapsed`}`;
      if (tty) process.stderr.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
      else process.stderr.write(`${text}\n`);
      return;
    }
    const rate = elapsed > 0 ? lastDone / elapsed : 0;
    const frac = lastTotal > 0 ? Math.min(1, lastDone / lastTotal) : 0;
    const eta = rate > 0 && lastTotal > 0 ? (lastTotal - lastDone) / rate : NaN;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const text =
      `${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${lastDone}/${lastTotal} ` +
      `${formatRate(rate)} ${unit}/s ${final ? `in ${formatSeconds(elapsed)}` : `ETA ${formatSeconds(eta)}`}`;
    if (tty) process.stderr.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    else process.stderr.write(`${text}\n`);
  };
  return {
    update(done, total) {
      updated = true;
      lastDone = done;
      lastTotal = total;
      const now = performance.now();
      if (now - lastDraw > (tty ? 100 : 5000)) {
        lastDraw = now;
        draw(false);
      }
    },
    finish(failed = false) {
      if (!failed) draw(true);
      else if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r.toFixed(1);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

/** Runs fn with a progress bar and always closes the bar, even when fn throws. */
export async function withProgress<T>(label: string, unit: string, fn: (onProgress: (done: number, total: number) => void) => Promise<T> | T): Promise<T> {
  const bar = progressBar(label, unit);
  let result: T;
  try {
    result = await fn((d, t) => bar.update(d, t));
  } catch (e) {
    bar.finish(true);
    throw e;
  }
  bar.finish();
  return result;
}

/** The bar a stage of a library operation is drawn with (see LongOperationOptions: stage names). */
export type StageBar = (stage: string | undefined) => { label: string; unit: string };

/**
 * Runs fn with one bar per stage: a report that names another stage than the previous one finishes that
 * stage's bar and starts the next (the library counts every stage from its own start). Nothing is drawn
 * until a stage reports; the last bar is closed even when fn throws.
 */
export async function withStageProgress<T>(
  barOf: StageBar,
  fn: (onProgress: (done: number, total: number, stage?: string) => void) => Promise<T> | T,
): Promise<T> {
  let bar: ProgressBar | undefined;
  let current: string | undefined;
  const onProgress = (done: number, total: number, stage?: string) => {
    if (!bar || stage !== current) {
      bar?.finish();
      const { label, unit } = barOf(stage);
      bar = progressBar(label, unit);
      current = stage;
    }
    bar.update(done, total);
  };
  let result: T;
  try {
    result = await fn(onProgress);
  } catch (e) {
    bar?.finish(true);
    throw e;
  }
  bar?.finish();
  return result;
}
