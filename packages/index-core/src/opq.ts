import { LibvqError, invalidArgument, throwIfAborted } from './errors.js';
import { mulABt, procrustes, randomOrthogonal, transpose } from './linalg.js';
import { type Matrix, checkMatrix, gatherRows } from './matrix.js';
import { ProductQuantizer } from './product-quantizer.js';
import type { LongOperationOptions } from './progress.js';
import { createRng, randomPermutation } from './random.js';
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
 * Procrustes problem mapping the data onto its reconstruction }. y = A x with A dOut×dIn row-major.
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
    if (!Number.isInteger(d) || d <= 0) throw invalidArgument('OPQ d', 'a positive integer', d);
    if (!Number.isInteger(M) || M <= 0) throw invalidArgument('OPQ M', 'a positive integer', M);
    if (dOut !== d) throw new LibvqError('UNSUPPORTED', `OPQ${M}_${dOut}: an output dimension other than the input's (${d}) is not supported yet`);
    if (dOut % M !== 0) throw new LibvqError('INVALID_ARGUMENT', `OPQ M: output dimension ${dOut} is not divisible by M = ${M}`);
    this.dIn = d;
    this.dOut = dOut;
    this.M = M;
    this.A = new Float32Array(dOut * d);
    for (let i = 0; i < d; i++) this.A[i * d + i] = 1;
  }

  get matrix(): Matrix {
    return { rows: this.dOut, dim: this.dIn, data: this.A };
  }

  train(x: Matrix, opts: OPQTrainOptions = {}): void {
    checkMatrix(x, 'OPQ training vectors', this.dIn);
    const niter = opts.niter ?? this.niter;
    const rng = createRng(opts.seed ?? 1234);
    let sample = x;
    const maxPts = opts.maxTrainPoints ?? this.maxTrainPoints;
    if (x.rows > maxPts) sample = gatherRows(x, randomPermutation(x.rows, rng).subarray(0, maxPts));
    const xc = centered(sample);
    const xct = transpose(xc);
    let rot = randomOrthogonal(this.dIn, rng);
    const pq = new ProductQuantizer(this.dOut, this.M, 8);
    for (let it = 0; it < niter; it++) {
      throwIfAborted(opts.signal, 'OPQ training');
      const xproj = mulABt(xc, rot);
      pq.train(xproj, {
        niter: it === 0 ? (opts.niterPq0 ?? this.niterPq0) : (opts.niterPq ?? this.niterPq),
        maxPointsPerCentroid: 1000,
        hotStart: it > 0,
        seed: opts.seed ?? 1234,
        threads: opts.threads,
      });
      const recon = pq.decode(pq.computeCodes(xproj));
      // C = Xᵀ Y as (Xᵀ)(Yᵀ)ᵀ through the blocked kernel.
      const c = mulABt(xct, transpose(recon));
      rot = procrustes(c);
      opts.onProgress?.(it + 1, niter);
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
}

function centered(x: Matrix): Matrix {
  const d = x.dim;
  const mean = new Float64Array(d);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) mean[j] += x.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= x.rows;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] = x.data[i * d + j] - mean[j];
  return { rows: x.rows, dim: d, data: out };
}
