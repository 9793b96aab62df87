import type { Matrix } from '../matrix.js';
import type { RowRange } from './protocol.js';

/** Rows r0..r1 of a flat row-major buffer as a matrix (a view). */
export function rowsOf(data: Float32Array, dim: number, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, dim, data: data.subarray(r0 * dim, r1 * dim) };
}

/**
 * The most rows of a guided chunk: a chunk is one call (a search of that many queries, whose results it holds), and
 * past a few batches of the fast-scan search (1,024 queries) a larger one shares no more list scans.
 */
export const GUIDED_MAX_ROWS = 4096;

/** Runs f on chunks [r0, r1) taken from the job's shared counter until the rows run out. */
export function eachChunk(j: RowRange, f: (r0: number, r1: number) => void): void {
  const { split } = j;
  if (split === undefined) {
    for (let r0 = Atomics.add(j.next, 0, j.chunk); r0 < j.n; r0 = Atomics.add(j.next, 0, j.chunk)) f(r0, Math.min(j.n, r0 + j.chunk));
    return;
  }
  // A guided chunk's size depends on where it starts: claimed with a compare-exchange, retried when another thread
  // took rows first.
  for (let r0 = Atomics.load(j.next, 0); r0 < j.n; ) {
    const r1 = Math.min(j.n, r0 + Math.min(GUIDED_MAX_ROWS, Math.max(j.chunk, Math.ceil((j.n - r0) / split))));
    const seen = Atomics.compareExchange(j.next, 0, r0, r1);
    if (seen === r0) {
      f(r0, r1);
      r0 = Atomics.load(j.next, 0);
    } else r0 = seen;
  }
}

