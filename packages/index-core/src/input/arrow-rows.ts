import { LibvqError, type LibvqErrorCode } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { type ArrowDataLike, type ArrowVectorLike, describeArrowType, isFloat32FixedSizeList, isValidAt } from './arrow-like.js';

export interface FixedSizeListOptions {
  /** INVALID_ARGUMENT (the default) for an argument, BAD_FILE for a column read from a file. */
  code?: LibvqErrorCode;
  /** The row number errors give the column's first row (a file's record batch: the rows before it). */
  firstRow?: number;
}

/**
 * A FixedSizeList<Float32>[dim] column as a Matrix: a view of the column's values when it is one chunk (no
 * copy: the matrix shares the table's memory), one copy into a contiguous array when it has several. A null
 * row or a null component is refused, naming its row (a null's stored value is arbitrary, often 0, and would
 * pass for a vector). `where` starts every error (a parameter name or a path, and the column).
 */
export function fixedSizeListMatrix(vec: ArrowVectorLike, where: string, opts: FixedSizeListOptions = {}): Matrix {
  const { code = 'INVALID_ARGUMENT', firstRow = 0 } = opts;
  if (!isFloat32FixedSizeList(vec.type)) {
    throw new LibvqError(code, `${where}: expected a FixedSizeList<Float32> column, got ${describeArrowType(vec.type)}`);
  }
  const dim = vec.type.listSize!;
  let rows = 0;
  const parts = vec.data.map((d) => {
    const values = chunkValues(d, dim, firstRow + rows, where, code);
    rows += d.length;
    return values;
  });
  if (parts.length === 1) return { rows, dim, data: parts[0] };
  const data = new Float32Array(rows * dim);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { rows, dim, data };
}

/** The chunk's length × dim values (a view), after refusing nulls; `firstRow` is the chunk's first row in the column. */
function chunkValues(d: ArrowDataLike, dim: number, firstRow: number, where: string, code: LibvqErrorCode): Float32Array {
  if (d.nullCount > 0) throw nullError(d, where, code, (i) => `row ${firstRow + i} is null`, `${d.nullCount} null rows`);
  const child = d.children[0];
  const n = d.length * dim;
  if (child === undefined || !(child.values instanceof Float32Array) || child.values.length < n) {
    const got = child?.values instanceof Float32Array ? `${child.values.length} values` : 'no Float32Array of values';
    throw new LibvqError(code, `${where}: a chunk of ${d.length} rows of ${dim} has ${got}, ${n} needed (a malformed Arrow column)`);
  }
  if (child.nullCount > 0) {
    throw nullError(child, where, code, (j) => `row ${firstRow + Math.floor(j / dim)}, component ${j % dim} is null`, `${child.nullCount} null components`);
  }
  return child.values.subarray(0, n);
}

function nullError(d: ArrowDataLike, where: string, code: LibvqErrorCode, at: (i: number) => string, count: string): LibvqError {
  let i = 0;
  while (i < d.length && isValidAt(d, i)) i++;
  const what = i < d.length ? at(i) : `holds ${count}`;
  return new LibvqError(code, `${where}: ${what} (vectors cannot be null)`);
}
