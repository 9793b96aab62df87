import { SCREEN_MIN_COLUMNS, SCREEN_MIN_DIM, screenedBest } from './wasm/screened-best.js';
import { simdGemm } from './wasm/simd-gemm.js';
import { dotsToL2 } from './l2-from-dots.js';

/** Squared L2 norm of every row (the l2 scores are ‖x‖² + ‖y‖² − 2<x, y> from the SIMD dot products). */
export function rowNormsSq(data: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) s += data[o + t] * data[o + t];
    out[i] = s;
  }
  return out;
}

/** How a backend visits x × y in tiles of scores (see forEachScoreTile); the native backend has its own. */
export type ScoreTiles = typeof forEachScoreTile;
/** How a backend finds the best column of y for every row of x (see bestColumns). */
export type BestColumns = typeof bestColumns;

/** One backend's dense product, tile by tile: load columns j0..j1 of y, then fill a tile with rows i0..i1 of x against them. */
export interface TileProduct {
  columns(j0: number, j1: number): void;
  rows(i0: number, i1: number, tile: Float32Array): void;
}

/**
 * The tile loop every backend's score tiles share: blocks of BY columns of y, in each blocks of BX rows of x, the
 * product's dot products turned into squared distances for l2, then handed to visit(i0, i1, j0, j1, tile) (row
 * stride j1 − j0). One buffer serves every tile.
 */
export function visitScoreTiles(
  xRows: number,
  yRows: number,
  x: Float32Array,
  y: Float32Array,
  dim: number,
  l2: boolean,
  BX: number,
  BY: number,
  product: TileProduct,
  visit: (i0: number, i1: number, j0: number, j1: number, tile: Float32Array) => void,
): void {
  if (xRows === 0 || yRows === 0) return;
  // The thread's spare tile buffer (a fresh one if a visit nests another call): a new 0.7 MB buffer per call, e.g.
  // per coarse probe of a search batch, cost its page faults every time.
  const buf = spareTile !== null && spareTile.length >= BX * BY ? spareTile : new Float32Array(BX * BY);
  spareTile = null;
  try {
    const xn = l2 ? rowNormsSq(x, xRows, dim) : null;
    const yn = l2 ? rowNormsSq(y, yRows, dim) : null;
    for (let j0 = 0; j0 < yRows; j0 += BY) {
      const j1 = Math.min(yRows, j0 + BY);
      const w = j1 - j0;
      product.columns(j0, j1);
      for (let i0 = 0; i0 < xRows; i0 += BX) {
        const i1 = Math.min(xRows, i0 + BX);
        const tile = buf.subarray(0, (i1 - i0) * w);
        product.rows(i0, i1, tile);
        if (xn !== null && yn !== null) dotsToL2(tile, i0, i1, j0, j1, xn, yn);
        visit(i0, i1, j0, j1, tile);
      }
    }
  } finally {
    spareTile = buf;
  }
}

let spareTile: Float32Array | null = null;

/** Rows and columns of the js backend's score tiles: 64 rows of x against up to ~1 MB of y (at most 4,096 rows). */
export function scoreTileShape(dim: number): { BX: number; BY: number } {
  return { BX: 64, BY: Math.max(64, Math.min(4096, Math.floor(262144 / Math.max(dim, 1)))) };
}

/**
 * Visits x × y in tiles of scores: calls visit(i0, i1, j0, j1, tile) where tile holds rows i0..i1 of
 * x against columns j0..j1 of y (row stride = j1 - j0). ip → dot products; l2 → ‖x − y‖² from norms.
 * Tiles are sized to stay in cache; nothing else is allocated per call.
 */
export function forEachScoreTile(
  x: Float32Array,
  xRows: number,
  y: Float32Array,
  yRows: number,
  dim: number,
  l2: boolean,
  visit: (i0: number, i1: number, j0: number, j1: number, tile: Float32Array) => void,
): void {
  const { BX, BY } = scoreTileShape(dim);
  const gemm = simdGemm(dim);
  gemm.reserve(BX, Math.min(BY, yRows));
  visitScoreTiles(xRows, yRows, x, y, dim, l2, BX, BY, {
    columns: (j0, j1) => gemm.setY(y, j0, j1),
    rows: (i0, i1, tile) => gemm.run(x, i0, i1, tile),
  }, visit);
}

/**
 * The best column of y for every row of x: ip → the largest <x, y>; l2 → the smallest ‖x − y‖² (as the largest
 * 2<x, y> − ‖y‖², then ‖x‖² added back, clamped at 0 against rounding). Ties go to the lower column, as a sequential
 * scan would give. No column (y empty): −1 and ∓Infinity. The fused float32 kernel (fusedBestColumns) defines the
 * result; from SCREEN_MIN_DIM dimensions and SCREEN_MIN_COLUMNS columns the screened arg-max computes the same bytes
 * 1.1–2× faster (wasm/screened-best.ts).
 */
export function bestColumns(x: Float32Array, xRows: number, y: Float32Array, yRows: number, dim: number, l2: boolean): { best: Float32Array; arg: Int32Array } {
  return bestColumnsWith(dim >= SCREEN_MIN_DIM && yRows >= SCREEN_MIN_COLUMNS, x, xRows, y, yRows, dim, l2);
}

/** bestColumns on the fused float32 kernel alone (no screening): the definition the screened path must equal. */
export function fusedBestColumns(x: Float32Array, xRows: number, y: Float32Array, yRows: number, dim: number, l2: boolean): { best: Float32Array; arg: Int32Array } {
  return bestColumnsWith(false, x, xRows, y, yRows, dim, l2);
}

/** bestColumns on the screened arg-max at any shape (tests). */
export function screenedBestColumns(x: Float32Array, xRows: number, y: Float32Array, yRows: number, dim: number, l2: boolean): { best: Float32Array; arg: Int32Array } {
  return bestColumnsWith(yRows > 0, x, xRows, y, yRows, dim, l2);
}

function bestColumnsWith(screened: boolean, x: Float32Array, xRows: number, y: Float32Array, yRows: number, dim: number, l2: boolean): { best: Float32Array; arg: Int32Array } {
  const best = new Float32Array(xRows).fill(-Infinity);
  const arg = new Int32Array(xRows).fill(-1);
  const yn = l2 ? rowNormsSq(y, yRows, dim) : null;
  if (screened) screenedBest(dim).run(x, xRows, y, yRows, l2, yn, best, arg);
  else {
    const { BX, BY } = scoreTileShape(dim);
    const gemm = simdGemm(dim);
    gemm.reserve(BX, Math.min(BY, yRows));
    for (let j0 = 0; j0 < yRows; j0 += BY) {
      const j1 = Math.min(yRows, j0 + BY);
      gemm.setY(y, j0, j1);
      for (let i0 = 0; i0 < xRows; i0 += BX) gemm.runBest(x, i0, Math.min(xRows, i0 + BX), j0, l2 ? 2 : 1, yn, best, arg);
    }
  }
  if (l2) {
    const xn = rowNormsSq(x, xRows, dim);
    for (let i = 0; i < xRows; i++) {
      if (arg[i] < 0) best[i] = Infinity;
      else {
        const v = xn[i] - best[i];
        best[i] = v > 0 ? v : 0;
      }
    }
  }
  return { best, arg };
}
