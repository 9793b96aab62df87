import { rowNormsSq, visitScoreTiles } from '../js/dot-tile.js';
import { bestModel, scoresModel } from './graphs.js';
import { OrtSession } from './ort-session.js';

/**
 * The native backend's two dense primitives, with the js backend's contracts (js/dot-tile.ts) so the same
 * knn / assign / distances code runs over them: score tiles, and the best column of every row fused with
 * the GEMM. The products run in onnxruntime's MLAS GEMM; the sessions are made once per thread.
 */
let sessions: { scores: OrtSession; best: OrtSession } | undefined;
function native(): { scores: OrtSession; best: OrtSession } {
  sessions ??= { scores: new OrtSession(scoresModel()), best: new OrtSession(bestModel()) };
  return sessions;
}

/** Loads onnxruntime and compiles the graphs now, so a missing or broken install fails when the backend is made. */
export function openNativeSessions(): void {
  native();
}

/** Most float32 scores one call writes by default (4 MiB): bounds the memory of a call whatever the shapes; 16 MiB
 * tiles were no faster on k-means over GloVe (1.16 s per iteration either way) and raised its peak RSS by 15 MB. */
export const DEFAULT_TILE_CELLS = 1 << 20;
/** Columns of one tile: whole rows of y up to this many, so ORT's packing of y is amortised over many rows of x. */
const MAX_TILE_COLUMNS = 1 << 16;

/**
 * An input tensor over `data`. onnxruntime-node's binding refuses views of a SharedArrayBuffer (where the thread
 * layer keeps training data), so those are copied first, into one of this thread's two staging arrays (0: rows of
 * x, 1: the block of y held across x tiles): one memcpy of the rows against a GEMM over them. A fresh copy per
 * tile made ~100 MB of garbage per k-means iteration over GloVe on each thread (the peak resident set measured
 * the same either way). Each call releases them at its end (releaseStaging), so no thread keeps a copy between calls.
 */
const f32 = (data: Float32Array, dims: number[], slot: 0 | 1 = 0) => ({ type: 'float32' as const, data: unshared(data, slot), dims });
const staging = [new Float32Array(0), new Float32Array(0)];
function unshared(data: Float32Array, slot: 0 | 1): Float32Array {
  if (!(data.buffer instanceof SharedArrayBuffer)) return data;
  if (staging[slot].length < data.length) staging[slot] = new Float32Array(data.length);
  const copy = staging[slot].subarray(0, data.length);
  copy.set(data);
  return copy;
}
function releaseStaging(): void {
  staging[0] = staging[1] = new Float32Array(0);
}
/** An output tensor: onnxruntime writes into `data` in place (always our own, unshared arrays). */
const out32 = (data: Float32Array, dims: number[]) => ({ type: 'float32' as const, data, dims });

/** forEachScoreTile's contract (js/dot-tile.ts) on MLAS: tiles of x × y scores, ip → dots, l2 → squared distances. */
export function forEachNativeScoreTile(
  x: Float32Array,
  xRows: number,
  y: Float32Array,
  yRows: number,
  dim: number,
  l2: boolean,
  visit: (i0: number, i1: number, j0: number, j1: number, tile: Float32Array) => void,
  tileCells = DEFAULT_TILE_CELLS,
): void {
  const { scores } = native();
  const BY = Math.min(Math.max(yRows, 1), MAX_TILE_COLUMNS, tileCells);
  const BX = Math.max(1, Math.min(xRows, Math.floor(tileCells / BY)));
  let yb = f32(y.subarray(0, 0), [0, dim], 1);
  try {
    visitScoreTiles(xRows, yRows, x, y, dim, l2, BX, BY, {
      columns: (j0, j1) => {
        yb = f32(y.subarray(j0 * dim, j1 * dim), [j1 - j0, dim], 1);
      },
      rows: (i0, i1, tile) => scores.run({ X: f32(x.subarray(i0 * dim, i1 * dim), [i1 - i0, dim]), Y: yb }, { S: out32(tile, [i1 - i0, yb.dims[0]]) }),
    }, visit);
  } finally {
    releaseStaging();
  }
}

/**
 * bestColumns' contract (js/dot-tile.ts) on one fused graph (GEMM + bias, arg-max, max): ip → the largest
 * <x, y>; l2 → the smallest ‖x − y‖² as ‖x‖² − 2·max(<x, y> − ‖y‖²/2), clamped at 0 against rounding. Ties go to
 * the lower column (ArgMax takes the first maximum). No column: −1 and ∓Infinity.
 */
export function nativeBestColumns(
  x: Float32Array,
  xRows: number,
  y: Float32Array,
  yRows: number,
  dim: number,
  l2: boolean,
  tileCells = DEFAULT_TILE_CELLS,
): { best: Float32Array; arg: Int32Array } {
  const best = new Float32Array(xRows).fill(l2 ? Infinity : -Infinity);
  const arg = new Int32Array(xRows).fill(-1);
  if (xRows === 0 || yRows === 0) return { best, arg };
  const { best: session } = native();
  const bias = new Float32Array(yRows);
  if (l2) {
    const yn = rowNormsSq(y, yRows, dim);
    for (let j = 0; j < yRows; j++) bias[j] = -0.5 * yn[j];
  }
  const BX = Math.max(1, Math.min(xRows, Math.floor(tileCells / yRows)));
  const idx = new BigInt64Array(BX);
  // Exactly yRows rows: a Matrix's array may be longer than rows × dim (an IndexFlat's grows ahead of its rows).
  const yt = f32(y.subarray(0, yRows * dim), [yRows, dim], 1);
  const bt = { type: 'float32' as const, data: bias, dims: [yRows] }; // our own array: never shared
  try {
    for (let i0 = 0; i0 < xRows; i0 += BX) {
      const i1 = Math.min(xRows, i0 + BX);
      const n = i1 - i0;
      const I = idx.subarray(0, n);
      const V = best.subarray(i0, i1);
      session.run({ X: f32(x.subarray(i0 * dim, i1 * dim), [n, dim]), Y: yt, B: bt }, { I: { type: 'int64', data: I, dims: [n] }, V: out32(V, [n]) });
      for (let i = 0; i < n; i++) arg[i0 + i] = Number(I[i]);
    }
  } finally {
    releaseStaging();
  }
  if (l2) {
    const xn = rowNormsSq(x, xRows, dim);
    for (let i = 0; i < xRows; i++) {
      const v = xn[i] - 2 * best[i];
      best[i] = v > 0 ? v : 0;
    }
  }
  return { best, arg };
}
