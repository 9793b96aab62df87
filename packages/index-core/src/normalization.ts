import { checkDimension } from './limits.js';
import { LibvqError } from './errors.js';
import { type Matrix, checkMatrix, normalizeRows } from './matrix.js';
import type { TransformParameters } from './indexes/index.js';
import type { VectorTransform } from './transform.js';

/** A transform with nothing to learn has no matrix; one shared empty view stands for it. */
const NO_MATRIX = new Float32Array(0);

/**
 * L2 normalisation of every vector (faiss's NormalizationTransform with norm = 2; factory token "L2norm", file
 * fourcc "VNrm"). Before an inner-product index it makes the index rank by cosine similarity: this is how
 * `indexFactory(d, desc, 'cosine')` is built, and how faiss users get cosine. Zero vectors stay zero, as in
 * faiss's fvec_renorm_L2. Nothing is trained; the transform is not invertible, so `reverse` is the identity
 * (faiss's reverse_transform does the same).
 */
export class NormalizationTransform implements VectorTransform {
  readonly dIn: number;
  readonly dOut: number;
  /** The p of the p-norm; faiss implements only 2, and so does libvq. */
  readonly norm = 2;
  readonly isTrained = true;

  constructor(d: number) {
    checkDimension(d, 'L2norm d');
    this.dIn = d;
    this.dOut = d;
  }

  train(x: Matrix): void {
    checkMatrix(x, 'L2norm training vectors', this.dIn);
  }

  /** A normalised copy (util's normalizeRows: the one L2 normalisation of the repository, also fit's for 'cosine'). */
  apply(x: Matrix): Matrix {
    checkMatrix(x, 'vectors given to L2norm', this.dIn);
    return normalizeRows({ rows: x.rows, dim: x.dim, data: x.data.slice() });
  }

  reverse(y: Matrix): Matrix {
    if (y.dim !== this.dOut) throw new LibvqError('DIMENSION_MISMATCH', `L2norm.reverse: vectors have dimension ${y.dim}, expected ${this.dOut}`);
    return { rows: y.rows, dim: y.dim, data: y.data.slice() };
  }

  parameters(): TransformParameters {
    return { kind: 'l2norm', dIn: this.dIn, dOut: this.dOut, matrix: NO_MATRIX, isTrained: true };
  }

  clone(): NormalizationTransform {
    return new NormalizationTransform(this.dIn);
  }
}
