import type { Floats, RotationParam } from './types.js';

/**
 * y_i = A x_i for every row (A: dOut x dIn), in float64. Without a rotation the rows are copied (dOut = dIn),
 * so the rest of the math always works on float64 rows in the index's space.
 */
export function rotateRows(x: Floats, rows: number, dIn: number, rot: RotationParam | undefined): Float64Array {
  if (!rot) return Float64Array.from(x.subarray(0, rows * dIn));
  const { dOut, data: A } = rot;
  const y = new Float64Array(rows * dOut);
  for (let i = 0; i < rows; i++) {
    const xo = i * dIn;
    for (let r = 0; r < dOut; r++) {
      const ao = r * dIn;
      let s = 0;
      for (let c = 0; c < dIn; c++) s += A[ao + c] * x[xo + c];
      y[i * dOut + r] = s;
    }
  }
  return y;
}

/**
 * Backward of rotateRows given dY (rows x dOut): dX = dY A (rows x dIn) and dA += dY^T X (dOut x dIn).
 * Without a rotation dX = dY. Either output may be null.
 */
export function rotateRowsBackward(
  x: Floats,
  rows: number,
  dIn: number,
  rot: RotationParam | undefined,
  dY: Float64Array,
  dX: Float64Array | null,
  dA: Float64Array | null,
): void {
  if (!rot) {
    if (dX) for (let i = 0; i < rows * dIn; i++) dX[i] += dY[i];
    return;
  }
  const { dOut, data: A } = rot;
  for (let i = 0; i < rows; i++) {
    const yo = i * dOut;
    const xo = i * dIn;
    for (let r = 0; r < dOut; r++) {
      const g = dY[yo + r];
      if (g === 0) continue;
      const ao = r * dIn;
      if (dX) for (let c = 0; c < dIn; c++) dX[xo + c] += g * A[ao + c];
      if (dA) for (let c = 0; c < dIn; c++) dA[ao + c] += g * x[xo + c];
    }
  }
}
