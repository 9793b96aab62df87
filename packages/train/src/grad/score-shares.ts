import type { Metric } from '@libvq/index-core';
import { eachChunk, type RowRange } from '@libvq/index-core/util';
import { scoreRows, scoreRowsBackward, scoreRowsBackwardB } from './score.js';

// One thread's share of the batch score kernels (score-threads.ts splits them): the functions an index thread
// runs through a 'call' job, and the calling thread runs for its own share. Each takes rows from the shared
// counter; a row's values are computed exactly as the one-thread kernel computes them, so any split gives the
// same bytes.

export interface ScoreShare extends RowRange {
  readonly a: Float64Array;
  readonly B: number;
  readonly b: Float64Array;
  readonly N: number;
  readonly d: number;
  readonly metric: Metric;
  /** scores: the output, B x N. backward: G = dL/dS, B x N. */
  readonly s: Float64Array;
  readonly weight: number;
  /** The gradient rows written (backward): dA (B x d) or dB (N x d). */
  readonly grad: Float64Array;
}

/** Rows i of S = scores(a_i, b) (the counter hands out query rows). */
export function scoreRowsShare(j: ScoreShare): void {
  const { a, b, N, d, metric, s } = j;
  eachChunk(j, (i0, i1) => void scoreRows(a.subarray(i0 * d, i1 * d), i1 - i0, b, N, d, metric, s.subarray(i0 * N, i1 * N)));
}

/** Rows i of dA (the counter hands out query rows). */
export function scoreBackwardAShare(j: ScoreShare): void {
  const { a, b, N, d, metric, s, weight, grad } = j;
  eachChunk(j, (i0, i1) => scoreRowsBackward(a.subarray(i0 * d, i1 * d), i1 - i0, b, N, d, metric, s.subarray(i0 * N, i1 * N), weight, grad.subarray(i0 * d, i1 * d), null));
}

/** Rows j of dB (the counter hands out document rows). */
export function scoreBackwardBShare(j: ScoreShare): void {
  const { a, B, b, N, d, metric, s, weight, grad } = j;
  eachChunk(j, (j0, j1) => scoreRowsBackwardB(a, B, b, N, d, metric, s, weight, grad, j0, j1));
}
