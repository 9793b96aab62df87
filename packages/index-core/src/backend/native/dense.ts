import { rowNormsSq, visitScoreTiles } from '../js/dot-tile.js';
import type { Matrix } from '../../matrix.js';
import type { KnnResult } from '../types.js';
import { TopK } from '../../topk.js';
import { bestModel, scoresModel, topkModel } from './graphs.js';
import { OrtSession } from './ort-session.js';

/**
 * The native backend's two dense primitives, with the js backend's contracts (js/dot-tile.ts) so the same
 * knn / assign / distances code runs over them: score tiles, and the best column of every row fused with
 * the GEMM. The products run in onnxruntime's MLAS GEMM; the sessions are made once per thread.
 */
let sessions: { scores: OrtSession; best: OrtSession; topk: OrtSession } | undefined;
function native(): { scores: OrtSession; best: OrtSession; topk: OrtSession } {
  sessions ??= { scores: new OrtSession(scoresModel()), best: new OrtSession(bestModel()), topk: new OrtSession(topkModel()) };
  return sessions;
}

/**
 * The low 32-bit words of an int64 array (little-endian: element i's at 2i), for onnxruntime's int64 indices, which
 * are column numbers < 2^31. Reading them as BigInts (Number(I[i])) allocates a heap object per element: GloVe,
 * 1,000 queries, nprobe 16, two threads, the calling thread allocated 433 KB per search call (128 KB since), and its
 * heap grew from 27 to 47 MB over a benchmark's searches (29 MB since).
 */
function lowWords(a: BigInt64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** Loads onnxruntime and compiles the graphs now, so a missing or broken install fails when the backend is made. */
export function openNativeSessions(): void {
  native();
}

/**
 * Most float32 scores one call on a thread's own session writes by default (1 MiB): bounds the memory of a call
 * whatever the shapes. onnxruntime keeps each session's largest intermediate in its arena for good, and every worker
 * thread has its own sessions, so this is paid once per thread: GloVe at two threads (`IVF1024,PQ20x8`, the bench's
 * child) peaked at 385–406 MB with 4 MiB tiles and 371–375 MB with these, at the same k-means, add and search times
 * (one thread: the same times, 3 MB less).
 */
export const DEFAULT_TILE_CELLS = 1 << 18;
/**
 * The same bound for k-means on onnxruntime's own pool (assignOnThreads): one session for the process, so its tiles
 * stay at 4 MiB, where its threads split a GEMM best (1 MiB tiles: GloVe k-means 9.9 s against 9.2 s at two threads;
 * 16 MiB: no faster, and 15 MB more at the peak).
 */
export const POOLED_TILE_CELLS = 1 << 20;
/** Columns of one tile: whole rows of y up to this many, so ORT's packing of y is amortised over many rows of x. */
const MAX_TILE_COLUMNS = 1 << 16;

/**
 * An input tensor over `data`. onnxruntime-node's binding refuses views of a SharedArrayBuffer (where the thread
 * layer keeps training data), so those are copied first, into one of this thread's two staging arrays (0: rows of
 * x, 1: the block of y held across x tiles): one memcpy of the rows against a GEMM over them. A fresh copy per
 * tile made ~100 MB of garbage per k-means iteration over GloVe on each thread (the peak resident set measured
 * the same either way). Each call releases those over KEPT_STAGING at its end (releaseStaging), so no thread keeps a
 * large copy between calls.
 */
const f32 = (data: Float32Array, dims: number[], slot: 0 | 1 = 0) => ({ type: 'float32' as const, data: unshared(data, slot), dims });
const staging = [new Float32Array(0), new Float32Array(0)];
/**
 * Staging arrays up to this many floats (1 MiB) stay with the thread between calls: a search's coarse probe copies the
 * centroids and its chunk's queries on every call (GloVe: 400 + 100 KB, ~10 calls per search and thread), and
 * dropped after each call they were garbage the collector reached late: the peak resident set of a GloVe build and
 * search at two threads (the bench's child, IVF1024,PQ50x4fsr, nprobe 8 to 128) was 407–412 MB, 399–403 kept.
 */
const KEPT_STAGING = 1 << 18;
function unshared(data: Float32Array, slot: 0 | 1): Float32Array {
  if (!(data.buffer instanceof SharedArrayBuffer)) return data;
  if (staging[slot].length < data.length) staging[slot] = new Float32Array(data.length);
  const copy = staging[slot].subarray(0, data.length);
  copy.set(data);
  return copy;
}
function releaseStaging(): void {
  for (const slot of [0, 1] as const) if (staging[slot].length > KEPT_STAGING) staging[slot] = new Float32Array(0);
}
/** An output tensor: onnxruntime writes into `data` in place (always our own, unshared arrays). */
const out32 = (data: Float32Array, dims: number[]) => ({ type: 'float32' as const, data, dims });

/**
 * Rows a tile of n rows of x runs as. MLAS multiplies a single row on another path than a GEMM of several rows, and
 * rounds its products differently: a GloVe query searched alone was probed with coarse scores that differed in the
 * last bits from the same query's in a batch (13,890 of 20,000 distances at nprobe 16, 2 labels among near-ties),
 * and the last row of a batch differed whenever it was its tile's only row. A one-row tile goes in twice
 * (rowsInput) and its first row is kept, so a row's results do not depend on the rows that came with it.
 */
const runRows = (n: number) => (n === 1 ? 2 : n);
let twoRows = new Float32Array(0);
/** The scores of a one-row tile run as two (a one-query search's every tile: reused, not allocated per tile). */
let twoRowScores = new Float32Array(0);

/** Rows [i0, i1) of x as the X input of runRows(i1 − i0) rows. */
function rowsInput(x: Float32Array, i0: number, i1: number, dim: number) {
  if (i1 - i0 !== 1) return f32(x.subarray(i0 * dim, i1 * dim), [i1 - i0, dim]);
  if (twoRows.length < 2 * dim) twoRows = new Float32Array(2 * dim);
  const row = x.subarray(i0 * dim, i1 * dim);
  twoRows.set(row);
  twoRows.set(row, dim);
  return { type: 'float32' as const, data: twoRows.subarray(0, 2 * dim), dims: [2, dim] };
}

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
      rows: (i0, i1, tile) => {
        const w = yb.dims[0];
        if (i1 - i0 > 1) scores.run({ X: rowsInput(x, i0, i1, dim), Y: yb }, { S: out32(tile, [i1 - i0, w]) });
        else {
          if (twoRowScores.length < 2 * w) twoRowScores = new Float32Array(2 * w);
          const two = twoRowScores.subarray(0, 2 * w);
          scores.run({ X: rowsInput(x, i0, i1, dim), Y: yb }, { S: out32(two, [2, w]) });
          tile.set(two.subarray(0, w));
        }
      },
    }, visit);
  } finally {
    releaseStaging();
  }
}

/**
 * The per-column bias the best and TopK graphs add to <x, y>: 0 for ip; −‖y‖²/2 for l2, so the largest biased score
 * is the nearest column (‖x − y‖² = ‖x‖² − 2·(<x, y> − ‖y‖²/2)).
 */
function columnBias(y: Float32Array, rows: number, dim: number, l2: boolean): Float32Array {
  const bias = new Float32Array(rows);
  if (l2) {
    const yn = rowNormsSq(y, rows, dim);
    for (let j = 0; j < rows; j++) bias[j] = -0.5 * yn[j];
  }
  return bias;
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
  threads = 1,
): { best: Float32Array; arg: Int32Array } {
  const best = new Float32Array(xRows).fill(l2 ? Infinity : -Infinity);
  const arg = new Int32Array(xRows).fill(-1);
  if (xRows === 0 || yRows === 0) return { best, arg };
  // threads > 1 (k-means on onnxruntime's pool): a session of its own for this call, disposed at its end. A session
  // keeps its largest intermediate in its arena for good, and one kept for the process held the pool's 4 MiB tiles
  // through every later search: the peak resident set of a GloVe build and search at two threads (the bench's child,
  // IVF1024,PQ50x4fsr) was 401–406 MB with it, 396 MB without; made per call, k-means took no longer.
  const pooled = threads > 1 ? new OrtSession(bestModel(), threads) : null;
  const session = pooled ?? native().best;
  const bias = columnBias(y, yRows, dim, l2);
  const BX = Math.max(1, Math.min(xRows, Math.floor(tileCells / yRows)));
  const idx = new BigInt64Array(runRows(BX));
  const idxLow = lowWords(idx);
  const two = new Float32Array(2);
  // Exactly yRows rows: a Matrix's array may be longer than rows × dim (an IndexFlat's grows ahead of its rows).
  const yt = f32(y.subarray(0, yRows * dim), [yRows, dim], 1);
  const bt = { type: 'float32' as const, data: bias, dims: [yRows] }; // our own array: never shared
  try {
    for (let i0 = 0; i0 < xRows; i0 += BX) {
      const i1 = Math.min(xRows, i0 + BX);
      const n = i1 - i0;
      const r = runRows(n);
      const I = idx.subarray(0, r);
      const V = n === r ? best.subarray(i0, i1) : two;
      session.run({ X: rowsInput(x, i0, i1, dim), Y: yt, B: bt }, { I: { type: 'int64', data: I, dims: [r] }, V: out32(V, [r]) });
      if (n !== r) best[i0] = two[0];
      for (let i = 0; i < n; i++) arg[i0 + i] = idxLow[2 * i];
    }
  } finally {
    releaseStaging();
    pooled?.dispose();
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

/**
 * knn's contract (Backend.knn) for k > 1 on the fused GEMM + TopK graph: per block of at most MAX_TILE_COLUMNS
 * columns, tiles of rows return their best min(k, block) columns. One block (every IVF probe: nlist ≤ 65,536) is
 * written out as it comes; more blocks are merged in one heap per row. l2 ranks by <x, y> − ‖y‖²/2 (the best
 * graph's bias) and reports ‖x‖² − 2·that, clamped at 0 against rounding. Ties go to the lower column, as in every
 * backend. Missing results (k > rows of y): −1 and ∓Infinity.
 */
export function nativeKnn(x: Matrix, y: Matrix, k: number, l2: boolean, tileCells = DEFAULT_TILE_CELLS): KnnResult {
  const n = x.rows;
  const m = y.rows;
  const dim = x.dim;
  const distances = new Float32Array(n * k).fill(l2 ? Infinity : -Infinity);
  const labels = new Float64Array(n * k).fill(-1);
  if (n === 0 || m === 0) return { distances, labels };
  const { topk } = native();
  const BY = Math.min(m, MAX_TILE_COLUMNS, tileCells);
  const heaps = m > BY ? Array.from({ length: n }, () => new TopK(k, l2 ? 'l2' : 'ip')) : null;
  const xn = l2 ? rowNormsSq(x.data, n, dim) : null;
  try {
    for (let j0 = 0; j0 < m; j0 += BY) {
      const j1 = Math.min(m, j0 + BY);
      const w = j1 - j0;
      const kb = Math.min(k, w);
      const bias = columnBias(y.data.subarray(j0 * dim, j1 * dim), w, dim, l2);
      const yt = f32(y.data.subarray(j0 * dim, j1 * dim), [w, dim], 1);
      const bt = { type: 'float32' as const, data: bias, dims: [w] };
      const kt = { type: 'int64' as const, data: BigInt64Array.of(BigInt(kb)), dims: [1] };
      const BX = Math.max(1, Math.min(n, Math.floor(tileCells / w)));
      const V = new Float32Array(runRows(BX) * kb);
      const I = new BigInt64Array(runRows(BX) * kb);
      const ILow = lowWords(I);
      for (let i0 = 0; i0 < n; i0 += BX) {
        const i1 = Math.min(n, i0 + BX);
        const r = runRows(i1 - i0);
        topk.run(
          { X: rowsInput(x.data, i0, i1, dim), Y: yt, B: bt, K: kt },
          { V: out32(V.subarray(0, r * kb), [r, kb]), I: { type: 'int64', data: I.subarray(0, r * kb), dims: [r, kb] } },
        );
        for (let i = i0; i < i1; i++) {
          const o = (i - i0) * kb;
          for (let t = 0; t < kb; t++) {
            const v = V[o + t];
            const d = xn === null ? v : Math.max(0, xn[i] - 2 * v);
            const id = j0 + ILow[2 * (o + t)];
            if (heaps === null) {
              distances[i * k + t] = d;
              labels[i * k + t] = id;
            } else {
              heaps[i].push(d, id);
            }
          }
        }
      }
    }
  } finally {
    releaseStaging();
  }
  if (heaps !== null) for (let i = 0; i < n; i++) heaps[i].drainInto(distances, labels, i * k);
  return { distances, labels };
}
