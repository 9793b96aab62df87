import type { Backend } from './backend/types.js';
import { getBackend } from './backend/registry.js';
import { LibvqError, invalidArgument, throwIfAborted } from './errors.js';
import { type Matrix, checkMatrix, gatherRows } from './matrix.js';
import type { Metric } from './metric.js';
import type { LongOperationOptions } from './progress.js';
import { parallelAssign } from './parallel/ops.js';
import { LARGE_GARBAGE_BYTES } from './parallel/collect.js';
import { GarbageMeter } from './parallel/garbage-meter.js';
import { checkThreads, collectThreadGarbage } from './parallel/pool.js';
import { eachChunk, rowsOf } from './parallel/rows.js';
import { registerJob } from './parallel/jobs.js';
import { SMALL_DIM_MAX } from './backend/js/wasm/small-assign.js';
import type { AssignJob } from './parallel/protocol.js';
import { createRng, randomPermutation, type Rng } from './random.js';

export interface KMeansOptions extends LongOperationOptions {
  /** Number of Lloyd iterations (faiss default 25). */
  niter?: number;
  /** At most k * maxPointsPerCentroid training points are used, sampled with the seed (faiss: 256). */
  maxPointsPerCentroid?: number;
  /** faiss default 1234. */
  seed?: number;
  /** Assignment metric: 'l2' (default) or 'ip' (max inner product, as faiss's IVF with an IP quantizer). */
  metric?: Metric;
  /** Normalise centroids after each update (faiss sets this for inner-product IVF). */
  spherical?: boolean;
  /** Initial centroids (hot start); otherwise k distinct random training points. */
  init?: Matrix;
  backend?: string | Backend;
  /** Threads for the assignment step (default 1: no workers); results are identical for any value. */
  threads?: number;
}

export interface KMeansResult {
  centroids: Matrix;
  /** Sum of distances of the training points to their centroid, per iteration. */
  objective: Float64Array;
}

const SPLIT_EPS = 1 / 1024;
/**
 * Garbage k-means lets pile up before it collects (parallel/garbage-meter.ts): about four iterations' assignments
 * over GloVe's 262,144-point sample (native backend, 1,024 centroids: at most 14 MB held instead of 21–26 MB); a
 * collection costs milliseconds against an iteration's hundreds. Runs whose assignments cannot add up to this much
 * (PQ sub-quantizers of 4-bit codes) are not metered: a reading of the meter costs ~16 µs.
 */
const KMEANS_GARBAGE_BYTES = 8 * 1024 * 1024;

/**
 * k-means with faiss's semantics: seeded subsampling to k·maxPointsPerCentroid points, random distinct
 * points as initial centroids, Lloyd iterations, empty clusters split off large ones (picked with
 * probability proportional to their size) with a symmetric ±1/1024 perturbation.
 */
export function kmeans(x: Matrix, k: number, opts: KMeansOptions = {}): KMeansResult {
  checkMatrix(x, 'kmeans training vectors');
  if (!Number.isInteger(k) || k <= 0) throw invalidArgument('k (number of centroids)', 'a positive integer', k);
  const niter = opts.niter ?? 25;
  if (!Number.isInteger(niter) || niter < 0) throw invalidArgument('niter', 'a non-negative integer', niter);
  const maxPts = opts.maxPointsPerCentroid ?? 256;
  const metric = opts.metric ?? 'l2';
  const backend = getBackend(opts.backend);
  const threads = checkThreads(opts.threads, 'kmeans threads');
  if (x.rows < k) {
    throw new LibvqError(
      'INSUFFICIENT_DATA',
      `kmeans: ${x.rows} training points for ${k} centroids; need at least as many points as centroids`,
    );
  }
  const rng = createRng(opts.seed ?? 1234);
  // With threads, a sample is gathered into shared memory directly, not gathered and then copied (GloVe: 100 MB
  // less at the peak), and each iteration shares only the centroids; unsampled points that are not shared go to the
  // workers a round at a time (parallelAssign), not as a second copy of the whole set.
  // A backend that runs threads of its own (native) assigns on them, in this call; others use worker threads. Small
  // dimensions (PQ sub-spaces) go to assign's single-threaded small kernel, so those stay on the workers.
  const ownThreads = threads > 1 && backend.assignOnThreads !== undefined && x.dim > SMALL_DIM_MAX;
  const share = threads > 1 && niter > 0 && !ownThreads;
  let train = x;
  if (x.rows > k * maxPts) {
    const perm = randomPermutation(x.rows, rng);
    train = gatherRows(x, perm.subarray(0, k * maxPts), share);
  }
  const d = x.dim;
  const n = train.rows;
  let centroids: Matrix;
  if (opts.init) {
    checkMatrix(opts.init, 'kmeans initial centroids', d);
    if (opts.init.rows !== k) throw invalidArgument('init', `${k} centroids`, opts.init.rows);
    centroids = { rows: k, dim: d, data: opts.init.data.slice() };
  } else {
    const perm = randomPermutation(n, rng);
    centroids = gatherRows(train, perm.subarray(0, k));
  }
  const objective = new Float64Array(niter);
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * d);
  // Reported at the start too, so a bar shows this stage from its first iteration, not from its second.
  opts.onProgress?.(0, niter, 'kmeans');
  // Each iteration's assignment (its results, the kernels' working arrays, on every thread) is garbage by the next.
  const garbage = n * 8 * niter >= KMEANS_GARBAGE_BYTES ? new GarbageMeter(KMEANS_GARBAGE_BYTES) : undefined;
  for (let it = 0; it < niter; it++) {
    throwIfAborted(opts.signal, 'kmeans');
    // distances: what the objective sums (ip: the similarity)
    const { labels, distances } = ownThreads
      ? backend.assignOnThreads!(train, centroids, metric, threads)
      : threads > 1
        ? parallelAssign(train, centroids, metric, backend, threads)
        : backend.assign(train, centroids, metric);
    let obj = 0;
    for (let i = 0; i < n; i++) obj += distances[i];
    objective[it] = obj;
    updateCentroids(train, labels, centroids, counts, sums);
    splitEmptyClusters(centroids, counts, n, rng);
    if (opts.spherical) normalizeCentroids(centroids);
    garbage?.check();
    opts.onProgress?.(it + 1, niter, 'kmeans');
  }
  if (train !== x && (share || train.data.byteLength >= LARGE_GARBAGE_BYTES)) {
    // The sample is freed now, not at some later collection (parallel/collect.ts): a shared one is freed only when
    // every thread has collected its handle, and even an unshared one stayed resident through the training that
    // follows (IVF: GloVe, one thread, native, IVF1024,PQ50x4fs: the 105 MB sample beside PQ training and the first
    // adds).
    train = x;
    collectThreadGarbage();
  }
  return { centroids, objective };
}

function updateCentroids(x: Matrix, labels: Int32Array, centroids: Matrix, counts: Float64Array, sums: Float64Array): void {
  const d = x.dim;
  counts.fill(0);
  sums.fill(0);
  const xd = x.data;
  for (let i = 0; i < x.rows; i++) {
    const c = labels[i];
    counts[c]++;
    const so = c * d;
    const xo = i * d;
    for (let j = 0; j < d; j++) sums[so + j] += xd[xo + j];
  }
  const cd = centroids.data;
  for (let c = 0; c < centroids.rows; c++) {
    if (counts[c] === 0) continue;
    const inv = 1 / counts[c];
    for (let j = 0; j < d; j++) cd[c * d + j] = sums[c * d + j] * inv;
  }
}

function splitEmptyClusters(centroids: Matrix, counts: Float64Array, n: number, rng: Rng): void {
  const k = centroids.rows;
  const d = centroids.dim;
  const cd = centroids.data;
  for (let ci = 0; ci < k; ci++) {
    if (counts[ci] !== 0) continue;
    let cj = 0;
    for (;;) {
      const p = (counts[cj] - 1) / (n - k);
      if (rng.next() < p) break;
      cj = (cj + 1) % k;
    }
    for (let j = 0; j < d; j++) {
      const v = cd[cj * d + j];
      if (j % 2 === 0) {
        cd[ci * d + j] = v * (1 + SPLIT_EPS);
        cd[cj * d + j] = v * (1 - SPLIT_EPS);
      } else {
        cd[ci * d + j] = v * (1 - SPLIT_EPS);
        cd[cj * d + j] = v * (1 + SPLIT_EPS);
      }
    }
    counts[ci] = Math.floor(counts[cj] / 2);
    counts[cj] -= counts[ci];
  }
}

function normalizeCentroids(c: Matrix): void {
  const d = c.dim;
  for (let i = 0; i < c.rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += c.data[i * d + j] ** 2;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < d; j++) c.data[i * d + j] *= inv;
    }
  }
}

/** One thread's rows of a k-means assignment step (the runner of the 'assign' jobs parallelAssign hands out). */
function assignRows(j: AssignJob): void {
  const centroids: Matrix = { rows: j.centroids.length / j.dim, dim: j.dim, data: j.centroids };
  const backend = getBackend(j.backend);
  eachChunk(j, (r0, r1) => {
    const r = backend.assign(rowsOf(j.x, j.dim, r0, r1), centroids, j.metric);
    j.labels.set(r.labels, r0);
    j.distances.set(r.distances, r0);
  });
}
registerJob('assign', assignRows);
