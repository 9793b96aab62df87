import type { Matrix } from './matrix.js';
import type { LongOperationOptions } from './progress.js';

/** A trainable map from dIn to dOut dimensions applied before an index (faiss's VectorTransform). */
export interface VectorTransform {
  readonly dIn: number;
  readonly dOut: number;
  readonly isTrained: boolean;
  train(x: Matrix, opts?: LongOperationOptions & { seed?: number; threads?: number }): void;
  apply(x: Matrix): Matrix;
  /** Maps transformed vectors back (exact for orthonormal transforms). */
  reverse(y: Matrix): Matrix;
}
