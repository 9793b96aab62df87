import type { Backend } from '../backend/types.js';
import type { SearchParams, SearchResult } from '../indexes/index.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import { runParallel, splitRows } from './pool.js';
import { sharedArray, sharedCopy } from './shared.js';
import { encodeRows, searchRows, type ShareableIndex } from './index-jobs.js';
import { assignRows, trainSubspaces } from './kernel-jobs.js';
import { snapshotOf } from './snapshot.js';

// The parallel forms of index operations: inputs copied once into shared memory, rows (or PQ sub-spaces)
// split into contiguous ranges, one range per thread, results written by each thread into its own rows of
// shared outputs. Every thread runs the single-thread code on its rows, so results are byte-identical.

/** Search with the queries split across threads. */
export function parallelSearch(index: ShareableIndex, q: Matrix, params: SearchParams, threads: number): SearchResult {
  const snap = snapshotOf(index, true);
  const queries = sharedCopy(q.data);
  const distances = sharedArray(Float32Array, q.rows * params.k);
  const labels = sharedArray(BigInt64Array, q.rows * params.k);
  const nprobe = params.nprobe ?? ('nprobe' in index ? index.nprobe : undefined);
  const jobs = splitRows(q.rows, threads).map(([r0, r1]) => ({ op: 'search', snap, queries, k: params.k, nprobe, r0, r1, distances, labels }) as const);
  runParallel(jobs, () => searchRows(index, jobs[0]));
  return { distances: distances.slice(), labels: labels.slice() };
}

/** IVF: the list and the code of every row; PQ: the codes (lists is empty). */
export function parallelEncode(index: ShareableIndex, x: Matrix, codeSize: number, threads: number): { lists: Int32Array; codes: Uint8Array } {
  const snap = snapshotOf(index, false);
  const xs = sharedCopy(x.data);
  const lists = sharedArray(Int32Array, x.rows);
  const codes = sharedArray(Uint8Array, x.rows * codeSize);
  const jobs = splitRows(x.rows, threads).map(([r0, r1]) => ({ op: 'encode', snap, x: xs, r0, r1, lists, codes }) as const);
  runParallel(jobs, () => encodeRows(index, jobs[0]));
  return { lists: lists.slice(), codes: codes.slice() };
}

/**
 * k-means assignment over training points already in shared memory (kmeans copies them once per run):
 * the nearest centroid of each row and the distance the objective sums.
 */
export function parallelAssign(
  x: Matrix, centroids: Matrix, metric: Metric, backend: Backend, threads: number,
): { labels: Int32Array; distances: Float32Array } {
  const c = sharedCopy(centroids.data);
  const labels = sharedArray(Int32Array, x.rows);
  const distances = sharedArray(Float32Array, x.rows);
  const jobs = splitRows(x.rows, threads).map(([r0, r1]) => ({
    op: 'assign', x: x.data, dim: x.dim, centroids: c, metric, backend: backend.name, r0, r1, labels, distances,
  }) as const);
  runParallel(jobs, () => assignRows(jobs[0]));
  return { labels, distances };
}

export interface ParallelPQTrain {
  x: Matrix;
  M: number;
  nbits: number;
  niter: number;
  maxPointsPerCentroid: number;
  seed: number;
  backend: string;
  /** Current codebooks (read for a hot start). */
  codebooks: Float32Array;
  hotStart: boolean;
}

/** PQ training with the M sub-spaces split across threads; returns the new codebooks. */
export function parallelPQTrain(p: ParallelPQTrain, threads: number): Float32Array {
  const x = sharedCopy(p.x.data);
  const codebooks = sharedCopy(p.codebooks);
  const { M, nbits, niter, maxPointsPerCentroid, seed, backend, hotStart } = p;
  const jobs = splitRows(M, Math.min(threads, M)).map(([r0, r1]) => ({
    op: 'pq-train', x, d: p.x.dim, M, nbits, niter, maxPointsPerCentroid, seed, backend, codebooks, hotStart, r0, r1,
  }) as const);
  runParallel(jobs, () => trainSubspaces(jobs[0]));
  return codebooks.slice();
}
