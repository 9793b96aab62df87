import type { Metric } from '@libvq/index-core';
import { isTypeScriptModule, rowRange, runModuleShares, sharedScratch } from '@libvq/index-core/util';
import { scoreRows, scoreRowsBackward } from './score.js';
import { scoreBackwardAShare, scoreBackwardBShare, scoreRowsShare, type ScoreShare } from './score-shares.js';

// The batch's score kernels on `threads` threads (the index's threads: the calling thread plus index workers).
// They are the training step's cost (scoreRows and its backward: B x N x d multiply-adds each, 3 forward and up to
// 4 backward per step), and their rows are independent, so they split by rows with the same bytes as one thread.
// Below MIN_WORK multiply-adds a call stays on the calling thread: posting the shares costs more than it saves.

const MIN_WORK = 1 << 20;
/** The module the index threads import for their shares: score-shares.ts from sources, score-shares.js built. */
const SHARES = new URL(isTypeScriptModule(import.meta.url) ? './score-shares.ts' : './score-shares.js', import.meta.url).href;

/** The share kernels by their export names (a bundler may rename a function, never an export). */
const KERNELS = { scoreRowsShare, scoreBackwardAShare, scoreBackwardBShare } as const;

function share(
  fn: keyof typeof KERNELS, name: string, threads: number, rows: number,
  a: Float64Array, B: number, b: Float64Array, N: number, d: number, metric: Metric, s: Float64Array, weight: number, grad: Float64Array, sOut: boolean,
): void {
  // Inputs and outputs in shared memory (reused buffers, see sharedScratch), the results copied back.
  const sa = sharedScratch(`train.${name}.a`, Float64Array, a.length);
  sa.set(a);
  const sb = sharedScratch(`train.${name}.b`, Float64Array, b.length);
  sb.set(b);
  const ss = sharedScratch(`train.${name}.s`, Float64Array, s.length);
  if (!sOut) ss.set(s);
  const sg = sharedScratch(`train.${name}.g`, Float64Array, grad.length);
  sg.set(grad);
  const range = rowRange(rows, threads, 8);
  const job: ScoreShare = { ...range, a: sa, B, b: sb, N, d, metric, s: ss, weight, grad: sg };
  runModuleShares(SHARES, fn, Array.from({ length: threads }, () => job), () => KERNELS[fn](job));
  if (sOut) s.set(ss);
  else grad.set(sg);
}

/** scoreRows on `threads` threads (the same bytes). */
export function scoreRowsThreaded(a: Float64Array, B: number, b: Float64Array, N: number, d: number, metric: Metric, out: Float64Array, threads: number): Float64Array {
  if (threads <= 1 || B * N * d < MIN_WORK || B < 2) return scoreRows(a, B, b, N, d, metric, out);
  share('scoreRowsShare', 'score', Math.min(threads, B), B, a, B, b, N, d, metric, out, 1, new Float64Array(0), true);
  return out;
}

/** scoreRowsBackward on `threads` threads (the same bytes): dA split by query rows, dB by document rows. */
export function scoreRowsBackwardThreaded(
  a: Float64Array, B: number, b: Float64Array, N: number, d: number, metric: Metric, G: Float64Array, weight: number,
  dA: Float64Array | null, dB: Float64Array | null, threads: number,
): void {
  if (threads <= 1 || B * N * d < MIN_WORK) {
    scoreRowsBackward(a, B, b, N, d, metric, G, weight, dA, dB);
    return;
  }
  if (dA) share('scoreBackwardAShare', 'dA', Math.min(threads, B), B, a, B, b, N, d, metric, G, weight, dA, false);
  if (dB) share('scoreBackwardBShare', 'dB', Math.min(threads, N), N, a, B, b, N, d, metric, G, weight, dB, false);
}
