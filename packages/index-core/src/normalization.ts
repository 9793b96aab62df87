import { checkDimension } from './limits.js';
import { LibvqError } from './errors.js';
import { type Matrix, checkMatrix } from './matrix.js';
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

  /**
   * faiss's arithmetic (fvec_renorm_L2): the squared norm rounded to float, inv = float(1 / sqrtf(norm²)), each
   * component times inv in float. Rounding as faiss does keeps a vector near a PQ or IVF boundary on the same
   * side as in faiss, so an index read from a faiss file finds what faiss finds (util's normalizeRows rounds once,
   * at the end, and may differ in the last bit).
   */
  apply(x: Matrix): Matrix {
    checkMatrix(x, 'vectors given to L2norm', this.dIn);
    const d = x.dim;
    const out = x.data.slice();
    for (let i = 0; i < x.rows; i++) {
      const o = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += out[o + j] * out[o + j];
      const nr = Math.fround(s);
      if (nr > 0) {
        const inv = Math.fround(1 / Math.fround(Math.sqrt(nr)));
        for (let j = 0; j < d; j++) out[o + j] = Math.fround(out[o + j] * inv);
      }
    }
    return { rows: x.rows, dim: d, data: out };
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
