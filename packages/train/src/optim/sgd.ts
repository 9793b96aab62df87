import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import type { Floats } from '../grad/types.js';

/**
 * Plain SGD on the rows a batch touched: p[row] -= lr * g. LibVQ trains IVF centroids this way (lr 1e-3, no
 * schedule, outside the AdamW groups) because only the lists of the batch's documents receive a gradient.
 * `grad` holds rows.length compact rows of rowSize values.
 */
export function sgdStepRows(param: Floats, rowSize: number, rows: Int32Array, grad: Floats, lr: number, name = 'param'): void {
  if (!(lr >= 0 && Number.isFinite(lr))) throw invalidArgument(`${name}.lr`, 'a finite number >= 0', lr);
  if (grad.length !== rows.length * rowSize) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}: sparse gradient has ${grad.length} values, expected ${rows.length}*${rowSize}`);
  }
  const nRows = param.length / rowSize;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!(row >= 0 && row < nRows)) throw invalidArgument(`${name} rows[${r}]`, `a row in [0, ${nRows})`, row);
    for (let i = 0; i < rowSize; i++) {
      const g = grad[r * rowSize + i];
      if (g - g !== 0) throw new LibvqError('NON_FINITE', `${name}: gradient of row ${row}, component ${i} is ${g}`);
      param[row * rowSize + i] -= lr * g;
    }
  }
}

/** Copies the given rows of a full-table gradient into compact rows (the layout the sparse steps take). */
export function gatherGradRows(grad: Float64Array, rowSize: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * rowSize);
  for (let r = 0; r < rows.length; r++) out.set(grad.subarray(rows[r] * rowSize, (rows[r] + 1) * rowSize), r * rowSize);
  return out;
}
