import { LibvqError } from './errors.js';

/** The typed arrays a tensor holds (its element type is the array's). */
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * A dense row-major tensor: the one tensor type of every package (safetensors checkpoints, ONNX initializers).
 * A Matrix is the float32, two-dimensional case that indexes take.
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** A tensor over `data`, checked to hold exactly the values `shape` describes. */
export function tensor(data: TensorData, shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new LibvqError('DIMENSION_MISMATCH', `tensor: shape [${shape.join(', ')}] holds ${n} values, data has ${data.length}`);
  return { shape, data };
}
