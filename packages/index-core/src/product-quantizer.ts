import { checkDimension } from './limits.js';
import { getBackend } from './backend/registry.js';
import type { Backend } from './backend/types.js';
import { LibvqError, invalidArgument, throwIfAborted } from './errors.js';
import { kmeans } from './kmeans.js';
import { type Matrix, checkMatrix, markUnchanging, sliceRows } from './matrix.js';
import type { Metric } from './metric.js';
import type { LongOperationOptions } from './progress.js';
import { parallelPQTrain } from './parallel/ops.js';
import { checkThreads } from './parallel/pool.js';
import { eachChunk } from './parallel/rows.js';
import { registerJob } from './parallel/jobs.js';
import type { PQTrainJob } from './parallel/protocol.js';
import { threadScratch } from './scratch-arrays.js';

export interface PQTrainOptions extends LongOperationOptions {
  seed?: number;
  niter?: number;
  maxPointsPerCentroid?: number;
  /** Start each sub-space's k-means from the current codebooks (faiss's Train_hot_start). */
  hotStart?: boolean;
  backend?: string | Backend;
  /** Threads training sub-spaces side by side (default 1: no workers); codebooks are identical for any value. */
  threads?: number;
}

/**
 * Product quantizer: d dimensions cut into M sub-spaces of dsub = d/M, each quantized to one of
 * ksub = 2^nbits codewords. Codebooks are laid out M × ksub × dsub (faiss's `centroids`). Codes are
 * M bytes per vector for nbits ≤ 8 (faiss packs codes of fewer bits; see codeSize).
 */
export class ProductQuantizer {
  readonly d: number;
  readonly M: number;
  readonly nbits: number;
  readonly dsub: number;
  readonly ksub: number;
  centroids: Float32Array;
  isTrained = false;
  /** Bumped by training and parametersChanged(): the codebooks the kernels get is a new view object then. */
  private version = 0;
  private view: { of: Float32Array; version: number; codebooks: Float32Array } | null = null;

  constructor(d: number, M: number, nbits = 8) {
    checkDimension(d, 'd (dimension)');
    if (!Number.isInteger(M) || M <= 0) throw invalidArgument('M (number of sub-quantizers)', 'a positive integer', M);
    if (d % M !== 0) {
      throw new LibvqError('INVALID_ARGUMENT', `M (number of sub-quantizers): d = ${d} is not divisible by M = ${M}`);
    }
    if (!Number.isInteger(nbits) || nbits < 1 || nbits > 8) {
      throw invalidArgument('nbits (bits per sub-quantizer code)', 'an integer from 1 to 8', nbits);
    }
    this.d = d;
    this.M = M;
    this.nbits = nbits;
    this.dsub = d / M;
    this.ksub = 1 << nbits;
    this.centroids = new Float32Array(M * this.ksub * this.dsub);
  }

  /** Bytes per encoded vector in memory (one byte per sub-quantizer). */
  get codeSize(): number {
    return this.M;
  }

  /** Bytes per vector in faiss's packed serialisation: ceil(M·nbits / 8). */
  get packedCodeSize(): number {
    return Math.ceil((this.M * this.nbits) / 8);
  }

  /** The M sub-space codebooks as one ksub × dsub matrix each (views, no copy). */
  codebook(m: number): Matrix {
    const size = this.ksub * this.dsub;
    return { rows: this.ksub, dim: this.dsub, data: this.centroids.subarray(m * size, (m + 1) * size) };
  }

  train(x: Matrix, opts: PQTrainOptions = {}): void {
    checkMatrix(x, 'PQ training vectors', this.d);
    if (x.rows < this.ksub) {
      throw new LibvqError(
        'INSUFFICIENT_DATA',
        `PQ training: ${x.rows} training vectors for ${this.ksub} codewords per sub-quantizer (nbits=${this.nbits}); need at least ${this.ksub}`,
      );
    }
    const threads = checkThreads(opts.threads, 'PQ training threads');
    const niter = opts.niter ?? 25;
    const maxPointsPerCentroid = opts.maxPointsPerCentroid ?? 256;
    const seed = opts.seed ?? 1234;
    const hotStart = opts.hotStart === true && this.isTrained;
    // Reported at the start too: with threads the sub-quantizers train together and the next report is the last.
    opts.onProgress?.(0, this.M, 'pq');
    if (threads > 1 && this.M > 1) {
      throwIfAborted(opts.signal, 'PQ training');
      const backend = getBackend(opts.backend).name;
      this.centroids.set(parallelPQTrain({ x, M: this.M, nbits: this.nbits, niter, maxPointsPerCentroid, seed, backend, codebooks: this.centroids, hotStart }, threads));
      opts.onProgress?.(this.M, this.M, 'pq');
      this.isTrained = true;
      this.parametersChanged();
      return;
    }
    const sub = new Float32Array(x.rows * this.dsub);
    for (let m = 0; m < this.M; m++) {
      throwIfAborted(opts.signal, 'PQ training');
      const c = trainSubspace(x, m, this.dsub, this.ksub, sub, {
        niter, maxPointsPerCentroid, seed, backend: opts.backend, init: hotStart ? this.codebook(m) : undefined,
      });
      this.centroids.set(c, m * this.ksub * this.dsub);
      opts.onProgress?.(m + 1, this.M, 'pq');
    }
    this.isTrained = true;
    this.parametersChanged();
  }

  /**
   * Says that `centroids` was written in place (training does; an index's parametersChanged() passes it on): the
   * kernels' copies made from the codebooks (the js table kernel's transposed blocks) are made again.
   */
  parametersChanged(): void {
    this.version++;
  }

  /**
   * The codebooks as the kernels get them: one view object per version of the values, marked unchanging
   * (matrix.ts), so the js table kernel keeps its transposed copy from call to call. Transposing GloVe's PQ20x8
   * codebooks (25,600 floats) was a fifth of a one-query search.
   */
  private codebooksForKernels(): Float32Array {
    const v = this.view;
    if (v !== null && v.of === this.centroids && v.version === this.version) return v.codebooks;
    const codebooks = markUnchanging(this.centroids.subarray(0));
    this.view = { of: this.centroids, version: this.version, codebooks };
    return codebooks;
  }

  /** n × M code bytes: the nearest codeword (L2) in each sub-space, as in faiss. */
  computeCodes(x: Matrix, backend?: string | Backend): Uint8Array {
    this.requireTrained();
    checkMatrix(x, 'vectors to encode', this.d);
    return this.codesOfChecked(x, backend);
  }

  /**
   * computeCodes for vectors the caller has already checked or computed from checked ones (an index's add checks
   * its input once; its residuals are differences of finite vectors). Rows go in blocks of about 1 MB, each copied
   * once into its M sub-space runs: reading every sub-space of a 65,536-row batch straight from the rows streamed the
   * whole batch from memory M times (GloVe PQ50: a sixth of add's time). Each row's code is the same either way.
   * `minus`: encode each row minus a vector of its own (IVF's residuals), subtracted as its block is split.
   */
  codesOfChecked(x: Matrix, backend?: string | Backend, minus?: RowOffsets): Uint8Array {
    this.requireTrained();
    const be = getBackend(backend);
    const { M, dsub } = this;
    const d = x.dim;
    const codes = new Uint8Array(x.rows * M);
    const block = Math.max(1, Math.min(x.rows, Math.floor(CODE_BLOCK_FLOATS / d)));
    const sub = new Float32Array(block * d);
    for (let r0 = 0; r0 < x.rows; r0 += block) {
      const n = Math.min(block, x.rows - r0);
      splitSubspaces(x.data, r0, n, d, M, dsub, sub, minus);
      for (let m = 0; m < M; m++) {
        const { labels } = be.assign({ rows: n, dim: dsub, data: sub.subarray(m * n * dsub, (m + 1) * n * dsub) }, this.codebook(m));
        for (let i = 0; i < n; i++) codes[(r0 + i) * M + m] = labels[i];
      }
    }
    return codes;
  }

  /** Reconstructs n vectors from their codes. */
  decode(codes: Uint8Array, n = codes.length / this.M): Matrix {
    this.requireTrained();
    const { M, dsub, ksub, d } = this;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < M; m++) {
        const c = codes[i * M + m];
        if (c >= ksub) throw invalidArgument(`code of vector ${i}, sub-quantizer ${m}`, `a value below ${ksub}`, c);
        const src = (m * ksub + c) * dsub;
        out.set(this.centroids.subarray(src, src + dsub), i * d + m * dsub);
      }
    }
    return { rows: n, dim: d, data: out };
  }

  /** nq × M × ksub ADC tables (ip: <q_m, c>, l2: ‖q_m − c‖²), into `out` when given (a reused scratch). */
  computeTables(q: Matrix, metric: Metric, backend?: string | Backend, out?: Float32Array): Float32Array {
    this.requireTrained();
    return getBackend(backend).pqTables(q, this.codebooksForKernels(), this.M, this.ksub, metric, out);
  }

  /**
   * The tables of queries [q0, q1) of q, in the thread's scratch (scratch-arrays.ts): valid until the next call on
   * this thread. Searches take them a batch at a time, so no call writes a fresh array of tables for all its queries.
   */
  tablesOfRows(q: Matrix, q0: number, q1: number, metric: Metric, backend?: string | Backend): Float32Array {
    return this.computeTables(sliceRows(q, q0, q1), metric, backend, threadScratch.f32('tables', (q1 - q0) * this.M * this.ksub));
  }

  private requireTrained(): void {
    if (!this.isTrained) throw new LibvqError('NOT_TRAINED', 'ProductQuantizer is not trained: call train() first');
  }
}

/** k-means codebook (ksub × dsub values) of sub-space m of x; `sub` is scratch of x.rows × dsub. */
export function trainSubspace(
  x: Matrix, m: number, dsub: number, ksub: number, sub: Float32Array,
  opts: { niter: number; maxPointsPerCentroid: number; seed: number; backend?: string | Backend; init?: Matrix },
): Float32Array {
  extractSubvectors(x, m, dsub, sub);
  return kmeans({ rows: x.rows, dim: dsub, data: sub }, ksub, opts).centroids.data;
}

/** Copies sub-space m of every row into out (rows × dsub). */
/** Floats of one block of rows that computeCodes splits into sub-spaces at a time (1 MB). */
const CODE_BLOCK_FLOATS = 1 << 18;

/** Rows [r0, r0 + n) of x (row length d) as M runs of n × dsub floats, sub-space after sub-space, into out. */
function splitSubspaces(x: Float32Array, r0: number, n: number, d: number, M: number, dsub: number, out: Float32Array, minus?: RowOffsets): void {
  if (minus) {
    const { rows, vectors } = minus;
    for (let i = 0; i < n; i++) {
      const src = (r0 + i) * d;
      const sub = rows[r0 + i] * d;
      for (let m = 0; m < M; m++) {
        const o = (m * n + i) * dsub;
        const s = m * dsub;
        for (let j = 0; j < dsub; j++) out[o + j] = x[src + s + j] - vectors[sub + s + j];
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const src = (r0 + i) * d;
    for (let m = 0; m < M; m++) {
      const o = (m * n + i) * dsub;
      const s = src + m * dsub;
      for (let j = 0; j < dsub; j++) out[o + j] = x[s + j];
    }
  }
}

/**
 * Vectors subtracted from the rows being encoded: row i minus vectors[rows[i]·d ..] (IVF's residuals to each row's
 * centroid), taken as each block of rows is split, so no residual copy of the whole batch is made.
 */
export interface RowOffsets {
  readonly rows: Int32Array;
  readonly vectors: Float32Array;
}

function extractSubvectors(x: Matrix, m: number, dsub: number, out: Float32Array): void {
  const d = x.dim;
  const xd = x.data;
  for (let i = 0; i < x.rows; i++) {
    const src = i * d + m * dsub;
    for (let j = 0; j < dsub; j++) out[i * dsub + j] = xd[src + j];
  }
}

/** One thread's PQ sub-spaces, each trained exactly as the single-thread loop trains it (the 'pq-train' runner). */
function trainSubspaces(j: PQTrainJob): void {
  const x: Matrix = { rows: j.x.length / j.d, dim: j.d, data: j.x };
  const dsub = j.d / j.M;
  const ksub = 1 << j.nbits;
  const size = ksub * dsub;
  const sub = new Float32Array(x.rows * dsub);
  eachChunk(j, (m) => {
    const book = j.codebooks.subarray(m * size, (m + 1) * size);
    const c = trainSubspace(x, m, dsub, ksub, sub, {
      niter: j.niter, maxPointsPerCentroid: j.maxPointsPerCentroid, seed: j.seed, backend: j.backend,
      init: j.hotStart ? { rows: ksub, dim: dsub, data: book } : undefined,
    });
    book.set(c);
  });
}
registerJob('pq-train', trainSubspaces);
