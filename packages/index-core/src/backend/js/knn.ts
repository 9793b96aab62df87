import { isUnchanging, type Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import { type BestColumns, type ScoreTiles, bestColumns, forEachScoreTile, rowNormsSq, scoreTileShape } from './dot-tile.js';
import { simdGemm } from './wasm/simd-gemm.js';

/**
 * k nearest rows of y for every row of x: k = 1 on the fused best-column kernel, otherwise one heap per row fed
 * from score tiles. Written once over the two dense primitives; each backend passes its own.
 */
export function knnOver(tiles: ScoreTiles, best: BestColumns, x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult {
  if (k === 1) return nearestOne(best, x, y, metric);
  const heaps: TopK[] = [];
  for (let i = 0; i < x.rows; i++) heaps.push(new TopK(k, metric));
  const hib = metric === 'ip';
  tiles(x.data, x.rows, y.data, y.rows, x.dim, !hib, (i0, i1, j0, j1, tile) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) offerRow(heaps[i], tile, (i - i0) * w, w, j0, hib);
  });
  const distances = new Float32Array(x.rows * k);
  const labels = new Float64Array(x.rows * k);
  for (let i = 0; i < x.rows; i++) heaps[i].drainInto(distances, labels, i * k);
  return { distances, labels };
}

/**
 * Offers tile[o .. o + w) (columns j0 ..) to one row's heap. A function of its own, one loop per direction: as a
 * loop inside the tile callback, with the direction tested per score, it ran at ~5 ns per score (GloVe's
 * coarse probe over 4,096 lists: 23 µs of selection per query); most scores lose and cost one comparison.
 */
function offerRow(h: TopK, tile: Float32Array, o: number, w: number, j0: number, hib: boolean): void {
  let thr = h.threshold();
  if (hib) {
    for (let j = 0; j < w; j++) {
      const s = tile[o + j];
      if (s >= thr) {
        h.push(s, j0 + j);
        thr = h.threshold();
      }
    }
  } else {
    for (let j = 0; j < w; j++) {
      const s = tile[o + j];
      if (s <= thr) {
        h.push(s, j0 + j);
        thr = h.threshold();
      }
    }
  }
}

/**
 * k = 1 (k-means' inner-product assignment, IVF's list assignment): the fused GEMM + arg-max kernel, a running
 * best per row instead of one heap per row (ties go to the lower id; no candidate: label -1, distance ±Infinity).
 */
function nearestOne(bestColumnsOf: BestColumns, x: Matrix, y: Matrix, metric: Metric): KnnResult {
  const { best, arg } = bestColumnsOf(x.data, x.rows, y.data, y.rows, x.dim, metric === 'l2');
  return { distances: best, labels: Float64Array.from(arg) };
}

/**
 * Largest k selected inside the WebAssembly kernel (wasm/topk-rows-module.ts): an insertion sort per row, whose
 * worst case (scores in increasing order) costs k moves per score; beyond it one heap per row (knnOver).
 */
export const KERNEL_TOPK_MAX = 64;
/** Rows whose kept results are in the kernel's memory at once (KERNEL_TOPK_MAX · 8 bytes each at most). */
const KEPT_ROWS = 4096;

export function knn(x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult {
  if (k === 1 || k > KERNEL_TOPK_MAX) return knnOver(forEachScoreTile, bestColumns, x, y, k, metric);
  return kernelKnn(x, y, k, metric);
}

/**
 * knn for 1 < k ≤ KERNEL_TOPK_MAX (an IVF search's coarse probe, k = nprobe): the scores of forEachScoreTile's tiles,
 * selected where the GEMM writes them (SimdGemm.runTopK), for up to KEPT_ROWS rows of x at a time. The same
 * results as knnOver, byte for byte (the test's oracle).
 */
export function kernelKnn(x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult {
  const n = x.rows;
  const m = y.rows;
  const dim = x.dim;
  const ip = metric === 'ip';
  // readKept writes every row in full (its padding too); only without columns is there nothing to read.
  const distances = new Float32Array(n * k);
  const labels = new Float64Array(n * k);
  if (n === 0 || m === 0) return { distances: distances.fill(ip ? -Infinity : Infinity), labels: labels.fill(-1) };
  const { BX, BY } = scoreTileShape(dim);
  const gemm = simdGemm(dim);
  const kept = Math.min(n, KEPT_ROWS);
  gemm.reserve(BX, Math.min(BY, m), kept, k);
  // An IVF's coarse centroids (IndexFlat.vectors) are the same matrix object call after call: their panels and
  // norms are made once and kept.
  const held = isUnchanging(y) && gemm.hold(y, BY);
  const norms = ip ? null : { xn: rowNormsSq(x.data, n, dim), yn: held ? heldNorms(y) : rowNormsSq(y.data, m, dim) };
  for (let r0 = 0; r0 < n; r0 += kept) {
    const r1 = Math.min(n, r0 + kept);
    gemm.clearKept(r1 - r0);
    for (let j0 = 0; j0 < m; j0 += BY) {
      if (held) gemm.useHeld(j0, Math.min(m, j0 + BY));
      else gemm.setY(y.data, j0, Math.min(m, j0 + BY));
      for (let i0 = r0; i0 < r1; i0 += BX) gemm.runTopK(x.data, i0, Math.min(r1, i0 + BX), j0, k, i0 - r0, norms);
    }
    gemm.readKept(r1 - r0, k, ip, distances, labels, r0 * k);
  }
  return { distances, labels };
}

/** The squared norms of an unchanging matrix's rows (l2 probes), made once per matrix object. */
const norms = new WeakMap<Matrix, Float32Array>();

function heldNorms(y: Matrix): Float32Array {
  let yn = norms.get(y);
  if (yn === undefined) norms.set(y, (yn = rowNormsSq(y.data, y.rows, y.dim)));
  return yn;
}
