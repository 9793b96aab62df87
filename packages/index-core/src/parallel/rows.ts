import type { Matrix } from '../matrix.js';
import type { RowRange } from './protocol.js';

/** Rows r0..r1 of a flat row-major buffer as a matrix (a view). */
export function rowsOf(data: Float32Array, dim: number, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, dim, data: data.subarray(r0 * dim, r1 * dim) };
}

/** Runs f on chunks [r0, r1) taken from the job's shared counter until the rows run out. */
export function eachChunk(j: RowRange, f: (r0: number, r1: number) => void): void {
  for (let r0 = Atomics.add(j.next, 0, j.chunk); r0 < j.n; r0 = Atomics.add(j.next, 0, j.chunk)) f(r0, Math.min(j.n, r0 + j.chunk));
}

