import type { SearchParams } from '../indexes/index.js';
import { type SearchResult, resultFromScratch } from '../indexes/search-result.js';
import { type Matrix, sliceRows } from '../matrix.js';
import type { Metric } from '../metric.js';
import { rowRange, runParallel } from './pool.js';
import { isShared, sharedScratch } from './shared.js';
import { encodeRows, searchRows } from './index-jobs.js';
import { runJob } from './jobs.js';
import type { AssignJob, EncodeJob, PQTrainJob, SearchJob, ThreadIndex } from './protocol.js';

// The parallel forms of index operations: inputs copied once into shared memory, rows (or PQ sub-spaces)
// split into chunks taken by whichever thread is free, results written into the chunk's rows of
// shared outputs (pool.ts rowRange hands out chunks of rows). Every thread runs the single-thread code on its rows, so results are byte-identical.

/** The buffers a search job reads and writes (scratch for the synchronous form, leased for the asynchronous one). */
export interface SearchBuffers {
  queries: Float32Array;
  distances: Float32Array;
  labels: Float64Array;
}

/** The search job of every thread: the snapshot, the queries copied into `b.queries`, rows handed out in chunks. */
export function searchJob(index: ThreadIndex, q: Matrix, params: SearchParams, threads: number, b: SearchBuffers): SearchJob {
  const snap = index.share(true);
  b.queries.set(q.data);
  const nprobe = params.nprobe ?? ('nprobe' in index ? (index.nprobe as number) : undefined);
  return { op: 'search', snap, queries: b.queries, k: params.k, nprobe, ...(params.kFactor !== undefined ? { kFactor: params.kFactor } : {}), ...rowRange(q.rows, threads, 8, true), distances: b.distances, labels: b.labels };
}

/** Search with the queries split across threads. */
export function parallelSearch(index: ThreadIndex, q: Matrix, params: SearchParams, threads: number): SearchResult {
  const job = searchJob(index, q, params, threads, {
    queries: sharedScratch('search.queries', Float32Array, q.data.length),
    distances: sharedScratch('search.distances', Float32Array, q.rows * params.k),
    labels: sharedScratch('search.labels', Float64Array, q.rows * params.k),
  });
  runParallel(Array(threads).fill(job), () => searchRows(index, job));
  return resultFromScratch(job.distances, job.labels, params.k, params.out);
}

/** The buffers an encode job reads and writes. */
export interface EncodeBuffers {
  x: Float32Array;
  lists: Int32Array;
  codes: Uint8Array;
}

/** The encode job of every thread: the model's snapshot, the rows copied into `b.x`. */
export function encodeJob(index: ThreadIndex, x: Matrix, codeSize: number, threads: number, b: EncodeBuffers): EncodeJob {
  const snap = index.share(false);
  b.x.set(x.data);
  return { op: 'encode', snap, x: b.x, ...rowRange(x.rows, threads, 256), lists: b.lists, codes: b.codes, codeSize };
}

/**
 * Most input bytes one round copies to shared memory when the workers need rows the caller holds in ordinary
 * memory (an encode batch, k-means points that were not sampled): the work goes in rounds of rows, so the shared copy
 * stays this small whatever the input. A whole 65,536-row add batch of GloVe was a 26 MB buffer kept for the life of
 * the process, and k-means over GloVe at nlist 4096 copied the whole 136 MB base; a round costs one message per thread.
 */
const SHARED_ROUND_BYTES = 4 << 20;

/** Rows of one round for vectors of `dim` floats (at least 256: one chunk of rows per thread). */
export function sharedRoundRows(dim: number): number {
  return Math.max(256, Math.floor(SHARED_ROUND_BYTES / (4 * Math.max(1, dim))));
}

/**
 * An encode done in rounds (parallelEncode, encodeOnWorkers): the rounds' rows, and the whole result, into which
 * `keep` copies each round's job outputs at its rows.
 */
export function encodeRounds(x: Matrix, codeSize: number) {
  const lists = new Int32Array(x.rows);
  const codes = new Uint8Array(x.rows * codeSize);
  const step = sharedRoundRows(x.dim);
  const rounds: { r0: number; part: Matrix }[] = [];
  for (let r0 = 0; r0 < x.rows; r0 += step) rounds.push({ r0, part: sliceRows(x, r0, Math.min(x.rows, r0 + step)) });
  const keep = (job: EncodeJob, r0: number): void => {
    lists.set(job.lists, r0);
    codes.set(job.codes, r0 * codeSize);
  };
  return { rounds, maxRows: Math.min(x.rows, step), lists, codes, keep };
}

/** IVF: the list and the code of every row; PQ: the codes (lists not filled). Rows are encoded in rounds. */
export function parallelEncode(index: ThreadIndex, x: Matrix, codeSize: number, threads: number): { lists: Int32Array; codes: Uint8Array } {
  const out = encodeRounds(x, codeSize);
  for (const { r0, part } of out.rounds) {
    const job = encodeJob(index, part, codeSize, threads, {
      x: sharedScratch('encode.x', Float32Array, part.data.length),
      lists: sharedScratch('encode.lists', Int32Array, part.rows),
      codes: sharedScratch('encode.codes', Uint8Array, part.rows * codeSize),
    });
    runParallel(Array(threads).fill(job), () => encodeRows(index, job));
    out.keep(job, r0);
  }
  return { lists: out.lists, codes: out.codes };
}

/**
 * k-means assignment: the nearest centroid of each row and the distance the objective sums. Points in shared
 * memory (a sample kmeans gathered there) are read in place; others are copied in rounds (sharedRoundRows), one
 * memcpy per iteration against a GEMM over them. Each row's result is the same in any round.
 */
export function parallelAssign(
  x: Matrix, centroids: Matrix, metric: Metric, backend: { name: string }, threads: number,
): { labels: Int32Array; distances: Float32Array } {
  const c = sharedScratch('assign.centroids', Float32Array, centroids.data.length);
  c.set(centroids.data);
  if (isShared(x.data)) {
    const r = assignShared(x.data, x.rows, x.dim, c, metric, backend, threads);
    return { labels: r.labels.slice(), distances: r.distances.slice() };
  }
  const labels = new Int32Array(x.rows);
  const distances = new Float32Array(x.rows);
  const step = sharedRoundRows(x.dim);
  for (let r0 = 0; r0 < x.rows; r0 += step) {
    const r1 = Math.min(x.rows, r0 + step);
    const xs = sharedScratch('assign.x', Float32Array, (r1 - r0) * x.dim);
    xs.set(x.data.subarray(r0 * x.dim, r1 * x.dim));
    const r = assignShared(xs, r1 - r0, x.dim, c, metric, backend, threads);
    labels.set(r.labels, r0);
    distances.set(r.distances, r0);
  }
  return { labels, distances };
}

/** One assignment job over rows already in shared memory; the results are views of shared scratch. */
function assignShared(
  x: Float32Array, rows: number, dim: number, c: Float32Array, metric: Metric, backend: { name: string }, threads: number,
): { labels: Int32Array; distances: Float32Array } {
  const labels = sharedScratch('assign.labels', Int32Array, rows);
  const distances = sharedScratch('assign.distances', Float32Array, rows);
  const job: AssignJob = { op: 'assign', x, dim, centroids: c, metric, backend: backend.name, ...rowRange(rows, threads, 256), labels, distances };
  // The assignment runner is k-means' own (registered in kmeans.ts, which calls this).
  runParallel(Array(threads).fill(job), () => runJob(job));
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
  // Training points the caller already keeps in shared memory (OPQ's rotated sample, IVF-PQ's residuals) are used in place.
  const x = isShared(p.x.data) ? p.x.data : sharedScratch('pq-train.x', Float32Array, p.x.data.length);
  if (x !== p.x.data) x.set(p.x.data);
  const codebooks = sharedScratch('pq-train.codebooks', Float32Array, p.codebooks.length);
  codebooks.set(p.codebooks);
  const { M, nbits, niter, maxPointsPerCentroid, seed, backend, hotStart } = p;
  const job: PQTrainJob = {
    op: 'pq-train', x, d: p.x.dim, M, nbits, niter, maxPointsPerCentroid, seed, backend, codebooks, hotStart, n: M, chunk: 1, next: rowRange(M, threads, 1).next,
  };
  // The sub-space training runner is the product quantizer's own (registered in product-quantizer.ts).
  runParallel(Array(Math.min(threads, M)).fill(job), () => runJob(job));
  return codebooks.slice();
}
