import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import type { GpujsContext } from './context.js';
import { MAX_ELEMENTS, MAX_SIDE } from './limits.js';

// One thread per (row i of x, row j of y): thread.y = i, thread.x = j. l2 is Σ (x − y)², computed directly
// (more accurate than the ‖x‖² + ‖y‖² − 2x·y expansion, and no cancellation below zero).
const IP = `function scoreTileIp(x, y) {
  const xo = this.thread.y * this.constants.d;
  const yo = this.thread.x * this.constants.d;
  let s = 0;
  for (let t = 0; t < this.constants.d; t++) {
    s += x[xo + t] * y[yo + t];
  }
  return s;
}`;
const L2 = `function scoreTileL2(x, y) {
  const xo = this.thread.y * this.constants.d;
  const yo = this.thread.x * this.constants.d;
  let s = 0;
  for (let t = 0; t < this.constants.d; t++) {
    const u = x[xo + t] - y[yo + t];
    s += u * u;
  }
  return s;
}`;

/** Called per tile with rows i0..i1 of x against rows j0..j1 of y; rows[i - i0][j - j0] is the score. */
export type TileVisitor = (i0: number, i1: number, j0: number, j1: number, rows: Float32Array[]) => void;

/** Rows and columns per tile: within the output and texture bounds, and each block's indices below 2^24. */
function tileShape(nx: number, ny: number, d: number, maxOutput: number): { rowBlock: number; colBlock: number } {
  const perBlock = Math.max(1, Math.floor(MAX_ELEMENTS / Math.max(1, d)));
  const colBlock = Math.max(1, Math.min(ny, MAX_SIDE, perBlock, maxOutput));
  const rowBlock = Math.max(1, Math.min(nx, MAX_SIDE, perBlock, Math.floor(maxOutput / colBlock)));
  return { rowBlock, colBlock };
}

/**
 * Scores every row of x against every row of y with the gpu.js tile kernel, one tile at a time, row blocks
 * outermost: a visitor that keeps per-row state (heaps, running minima) sees all of a row block's column
 * tiles before the next row block starts.
 */
export function forEachGpuScoreTile(
  ctx: GpujsContext,
  x: Matrix,
  y: Matrix,
  metric: Metric,
  onRowBlock: ((i0: number, i1: number) => void) | null,
  visit: TileVisitor,
  onRowBlockDone: ((i0: number, i1: number) => void) | null = null,
): void {
  const d = x.dim;
  const l2 = metric === 'l2';
  const kernel = ctx.kernel(`scores:${metric}:${d}`, l2 ? L2 : IP, { d });
  const { rowBlock, colBlock } = tileShape(x.rows, y.rows, d, ctx.maxOutput);
  for (let i0 = 0; i0 < x.rows; i0 += rowBlock) {
    const i1 = Math.min(x.rows, i0 + rowBlock);
    onRowBlock?.(i0, i1);
    const xb = x.data.subarray(i0 * d, i1 * d);
    for (let j0 = 0; j0 < y.rows; j0 += colBlock) {
      const j1 = Math.min(y.rows, j0 + colBlock);
      visit(i0, i1, j0, j1, ctx.run2D(kernel, j1 - j0, i1 - i0, xb, y.data.subarray(j0 * d, j1 * d)));
    }
    onRowBlockDone?.(i0, i1);
  }
}
