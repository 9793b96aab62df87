import type { Matrix } from './matrix.js';
import type { TransformParameters } from './indexes/index.js';
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
  /** The learned matrix, a view of the transform's own storage (see IndexParameters). */
  parameters(): TransformParameters;
  /** An independent copy (its matrix copied). */
  clone(): VectorTransform;
}
