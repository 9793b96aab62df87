import { checkDimension } from './limits.js';
import { LibvqError, invalidArgument, throwIfAborted } from './errors.js';
import { mulABt, procrustes, randomOrthogonal, transpose } from './linalg.js';
import { type Matrix, checkMatrix, sliceRows } from './matrix.js';
import { sharedArray } from './parallel/shared.js';
import { ProductQuantizer } from './product-quantizer.js';
import type { LongOperationOptions } from './progress.js';
import { createRng, randomPermutation } from './random.js';
import type { TransformParameters } from './indexes/index.js';
import type { VectorTransform } from './transform.js';

export interface OPQTrainOptions extends LongOperationOptions {
  seed?: number;
  /** Alternating iterations (faiss: 50). */
  niter?: number;
  /** k-means iterations of the first PQ training (faiss: 40) and of the later ones (faiss: 4). */
  niterPq0?: number;
  niterPq?: number;
  /** Training points used (faiss: 256·256). */
  maxTrainPoints?: number;
  /** Threads of the inner PQ training (its M sub-spaces split across them); the rotation is the same for any value. */
  threads?: number;
}

/**
 * OPQ rotation (Ge et al.), trained with faiss's alternating algorithm: start from a random rotation,
 * then repeat { train PQ (hot start) on the rotated centred data; encode/decode; solve the orthogonal
 * Procrustes problem mapping the data onto its reconstruction }. y = A x with A dOut×dIn row-major, its rows
 * orthonormal; dOut < dIn ("OPQ16_96") reduces the dimension as well, so any byte budget fits any d.
 */
export class OPQMatrix implements VectorTransform {
  readonly dIn: number;
  readonly dOut: number;
  readonly M: number;
  A: Float32Array;
  isTrained = false;
  niter = 50;
  niterPq0 = 40;
  niterPq = 4;
  maxTrainPoints = 256 * 256;

  constructor(d: number, M: number, dOut = d) {
    checkDimension(d, 'OPQ d');
    if (!Number.isInteger(M) || M <= 0) throw invalidArgument('OPQ M', 'a positive integer', M);
    if (!Number.isInteger(dOut) || dOut < 1) throw invalidArgument('OPQ output dimension', 'a positive integer', dOut);
    // faiss pads the input with zeros when d_out > d_in; the learned rotation (@libvq/train) keeps orthonormal rows,
    // which a wider output cannot have, so only a reduction is offered.
    if (dOut > d) throw new LibvqError('UNSUPPORTED', `OPQ${M}_${dOut}: the output dimension must not exceed the input's (${d}); a reduction (e.g. OPQ${M}_${Math.floor(d / M) * M || M}) is supported`);
    if (dOut % M !== 0) throw new LibvqError('INVALID_ARGUMENT', `OPQ M: output dimension ${dOut} is not divisible by M = ${M}`);
    this.dIn = d;
    this.dOut = dOut;
    this.M = M;
    // Untrained: keep the first dOut coordinates (the identity when square).
    this.A = new Float32Array(dOut * d);
    for (let i = 0; i < dOut; i++) this.A[i * d + i] = 1;
  }

  get matrix(): Matrix {
    return { rows: this.dOut, dim: this.dIn, data: this.A };
  }

  /**
   * Memory: the centred sample and its rotation are the only n × d buffers (the rotation in shared memory when
   * the inner PQ trains on several threads, so no copy is made for them); Xᵀ Y is accumulated block by block.
   */
  train(x: Matrix, opts: OPQTrainOptions = {}): void {
    checkMatrix(x, 'OPQ training vectors', this.dIn);
    const niter = opts.niter ?? this.niter;
    const rng = createRng(opts.seed ?? 1234);
    const maxPts = opts.maxTrainPoints ?? this.maxTrainPoints;
    const picked = x.rows > maxPts ? randomPermutation(x.rows, rng).subarray(0, maxPts) : undefined;
    const xc = centeredRows(x, picked);
    const threads = opts.threads ?? 1;
    const xproj: Matrix = {
      rows: xc.rows, dim: this.dOut, data: threads > 1 ? sharedArray(Float32Array, xc.rows * this.dOut) : new Float32Array(xc.rows * this.dOut),
    };
    // dOut × dIn with orthonormal rows: the first dOut rows of a random rotation (all of it when square).
    const full = randomOrthogonal(this.dIn, rng);
    let rot: Matrix = { rows: this.dOut, dim: this.dIn, data: full.data.subarray(0, this.dOut * this.dIn) };
    const pq = new ProductQuantizer(this.dOut, this.M, 8);
    // Reported at the start too: the first iteration trains the inner PQ from scratch (its longest), and a bar
    // that appears only after it leaves the previous stage's finished bar on screen meanwhile.
    opts.onProgress?.(0, niter, 'opq');
    for (let it = 0; it < niter; it++) {
      throwIfAborted(opts.signal, 'OPQ training');
      forRowBlocks(xc.rows, (r0, r1) => xproj.data.set(mulABt(sliceRows(xc, r0, r1), rot).data, r0 * this.dOut));
      pq.train(xproj, {
        niter: it === 0 ? (opts.niterPq0 ?? this.niterPq0) : (opts.niterPq ?? this.niterPq),
        maxPointsPerCentroid: 1000,
        hotStart: it > 0,
        seed: opts.seed ?? 1234,
        threads,
      });
      const codes = pq.computeCodes(xproj);
      // C = Xᵀ Y, Y the reconstruction, summed over row blocks: (X_bᵀ)(Y_bᵀ)ᵀ through the blocked kernel.
      const c = new Float64Array(this.dIn * this.dOut);
      forRowBlocks(xc.rows, (r0, r1) => {
        const recon = pq.decode(codes.subarray(r0 * this.M, r1 * this.M));
        const part = mulABt(transpose(sliceRows(xc, r0, r1)), transpose(recon)).data;
        for (let i = 0; i < c.length; i++) c[i] += part[i];
      });
      // The SVD of the dIn × dOut C gives the dOut × dIn map with orthonormal rows closest to it (faiss does the same
      // when d_out < d_in; the reduction's own error term is left out of the objective, as there).
      rot = procrustes({ rows: this.dIn, dim: this.dOut, data: Float32Array.from(c) });
      opts.onProgress?.(it + 1, niter, 'opq');
    }
    this.A = rot.data;
    this.isTrained = true;
  }

  apply(x: Matrix): Matrix {
    checkMatrix(x, 'vectors given to OPQ', this.dIn);
    return mulABt(x, this.matrix);
  }

  reverse(y: Matrix): Matrix {
    return mulABt(y, transpose(this.matrix));
  }

  parameters(): TransformParameters {
    return { kind: 'opq', dIn: this.dIn, dOut: this.dOut, matrix: this.A, isTrained: this.isTrained };
  }

  clone(): OPQMatrix {
    const c = new OPQMatrix(this.dIn, this.M, this.dOut);
    c.A = this.A.slice();
    c.isTrained = this.isTrained;
    c.niter = this.niter;
    c.niterPq0 = this.niterPq0;
    c.niterPq = this.niterPq;
    c.maxTrainPoints = this.maxTrainPoints;
    return c;
  }
}

/** Rows per block of the rotation and of the Xᵀ Y accumulation (a block's transposes stay a few MB). */
const ROW_BLOCK = 4096;

function forRowBlocks(rows: number, fn: (r0: number, r1: number) => void): void {
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) fn(r0, Math.min(rows, r0 + ROW_BLOCK));
}

/** The chosen rows of x (all when `picked` is undefined) minus their mean, in one new buffer. */
function centeredRows(x: Matrix, picked: ArrayLike<number> | undefined): Matrix {
  const d = x.dim;
  const n = picked ? picked.length : x.rows;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const src = (picked ? picked[i] : i) * d;
    out.set(x.data.subarray(src, src + d), i * d);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += out[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] -= mean[j];
  return { rows: n, dim: d, data: out };
}
