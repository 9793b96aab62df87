import { LibvqError, invalidArgument } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { type ArrowTableLike, type ArrowVectorLike, isArrowTableLike, isArrowVectorLike } from './arrow-like.js';
import { fixedSizeListMatrix } from './arrow-rows.js';
import { vectorField } from './vector-column.js';

/**
 * Vectors as the index methods take them: a Matrix; rows as Float32Array[] (all the same length); one
 * Float32Array (one vector, e.g. one query); an Arrow Table or RecordBatch (its FixedSizeList<Float32> column,
 * see `column`) or an Arrow Vector of that type, from any copy of apache-arrow. Files are read by
 * @libvq/dataset's readVectors (.npy, .fvecs, .memmap, Arrow IPC file or stream).
 */
export type VectorsInput = Matrix | readonly Float32Array[] | Float32Array | ArrowTableLike | ArrowVectorLike;

export interface ToMatrixOptions {
  /** The parameter's name, the start of every error message. */
  name: string;
  /** The dimension expected (the index's d); a different one is refused. Needed for an empty Float32Array[]. */
  dim?: number;
  /** Arrow tables: the vector column (default "embedding", else "vector", else the only FixedSizeList<Float32> column). */
  column?: string;
}

const ACCEPTED =
  'a Matrix {rows, dim, data: Float32Array}, Float32Array[] rows, one Float32Array, or an Arrow Table / RecordBatch / Vector with a FixedSizeList<Float32> column (a file: read it with readVectors from @libvq/dataset)';

/**
 * Any VectorsInput as a Matrix. Matrices, a single Float32Array and single-chunk Arrow columns are used without
 * a copy (the Matrix shares their memory); rows and multi-chunk columns are copied once. Shapes are checked
 * here; values (finite, in range) are left to checkMatrix in the index methods, so they are scanned once.
 */
export function toMatrix(input: VectorsInput, opts: ToMatrixOptions): Matrix {
  const { name } = opts;
  const m = convert(input, opts);
  if (opts.dim !== undefined && m.dim !== opts.dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}: vectors have dimension ${m.dim}, the index expects ${opts.dim}`);
  }
  return m;
}

function convert(input: VectorsInput, { name, dim, column }: ToMatrixOptions): Matrix {
  if (input instanceof Float32Array) {
    if (input.length === 0) throw invalidArgument(name, 'a vector of at least one component', input);
    if (dim !== undefined && input.length !== dim) {
      throw new LibvqError(
        'DIMENSION_MISMATCH',
        `${name}: one Float32Array is one vector; it has ${input.length} components, the index expects ${dim} (pass several vectors as a Matrix {rows, dim, data} or as Float32Array[])`,
      );
    }
    return { rows: 1, dim: input.length, data: input };
  }
  if (Array.isArray(input)) return fromRows(input as readonly Float32Array[], name, dim);
  if (isArrowTableLike(input)) {
    const field = vectorField(input.schema.fields, column, name, 'INVALID_ARGUMENT');
    const vec = input.getChild(field.name);
    if (vec === null || !isArrowVectorLike(vec)) throw invalidArgument(`${name} column "${field.name}"`, 'an Arrow Vector from getChild', vec);
    return fixedSizeListMatrix(vec, `${name} column "${field.name}"`);
  }
  if (isArrowVectorLike(input)) return fixedSizeListMatrix(input, name);
  if (isMatrixShaped(input)) return checkedMatrix(input, name);
  throw invalidArgument(name, ACCEPTED, input);
}

function isMatrixShaped(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && 'rows' in x && 'dim' in x && 'data' in x;
}

function checkedMatrix(m: Matrix, name: string): Matrix {
  if (!(m.data instanceof Float32Array)) throw invalidArgument(`${name}.data`, 'a Float32Array (row-major rows × dim values)', m.data);
  if (!Number.isInteger(m.rows) || m.rows < 0) throw invalidArgument(`${name}.rows`, 'a non-negative integer', m.rows);
  if (!Number.isInteger(m.dim) || m.dim <= 0) throw invalidArgument(`${name}.dim`, 'a positive integer', m.dim);
  if (m.data.length !== m.rows * m.dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}: data has ${m.data.length} floats, expected rows × dim = ${m.rows} × ${m.dim} = ${m.rows * m.dim}`);
  }
  return m;
}

/** Float32Array[] rows copied into one Matrix; every row must be a Float32Array of the first row's length. */
function fromRows(rows: readonly Float32Array[], name: string, dim: number | undefined): Matrix {
  if (rows.length === 0) {
    if (dim === undefined) throw invalidArgument(name, 'at least one row, or the dimension (dim) for an empty list', rows);
    return { rows: 0, dim, data: new Float32Array(0) };
  }
  const d = rows[0] instanceof Float32Array ? rows[0].length : 0;
  if (rows[0] instanceof Float32Array && d === 0) throw invalidArgument(`${name}[0]`, 'a vector of at least one component', rows[0]);
  const data = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r instanceof Float32Array)) throw invalidArgument(`${name}[${i}]`, 'a Float32Array (every row of Float32Array[] vectors)', r);
    if (r.length !== d) throw new LibvqError('DIMENSION_MISMATCH', `${name}[${i}]: row ${i} has ${r.length} components, row 0 has ${d}`);
    data.set(r, i * d);
  }
  return { rows: rows.length, dim: d, data };
}
