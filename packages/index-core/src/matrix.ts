import { LibvqError, invalidArgument } from './errors.js';
import { sharedArray } from './parallel/shared.js';

/**
 * A dense row-major float32 matrix: component j of row i is data[i * dim + j].
 * This is the one vector container of libvq-ts; no number[][] anywhere.
 */
export interface Matrix {
  readonly rows: number;
  readonly dim: number;
  readonly data: Float32Array;
}

export function matrix(rows: number, dim: number, data?: Float32Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0) throw invalidArgument('rows', 'a non-negative integer', rows);
  if (!Number.isInteger(dim) || dim <= 0) throw invalidArgument('dim', 'a positive integer', dim);
  const buf = data ?? new Float32Array(rows * dim);
  if (buf.length !== rows * dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `matrix data has ${buf.length} floats, expected rows*dim = ${rows}*${dim} = ${rows * dim}`);
  }
  return { rows, dim, data: buf };
}

/**
 * Matrices (and codebooks) whose values stay as they are for as long as their owner hands out the same object
 * (IndexFlat.vectors: one object per version of its data, a new one after every change; ProductQuantizer's codebooks
 * likewise). Kernels may keep what they derive from such an object (the js GEMM's packed panels, the table kernel's
 * transposed codebooks) keyed by its identity. The identity of an array alone would not do: the same array can come
 * back holding other values (IndexFlat.remove compacts in place, training writes codebooks in place).
 */
const unchanging = new WeakSet<object>();

/**
 * Marks `m` (a matrix, or a typed array such as ProductQuantizer's codebooks view) as one whose values do not change
 * while its owner hands it out (see `unchanging`).
 */
export function markUnchanging<T extends Matrix | Float32Array>(m: T): T {
  unchanging.add(m);
  return m;
}

export function isUnchanging(m: Matrix | Float32Array): boolean {
  return unchanging.has(m);
}

/** Row i as a view (no copy). */
export function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.dim, (i + 1) * m.dim);
}

/** Rows [start, end) as a view matrix (no copy). */
export function sliceRows(m: Matrix, start: number, end: number): Matrix {
  return { rows: end - start, dim: m.dim, data: m.data.subarray(start * m.dim, end * m.dim) };
}

/** Copies the rows whose indices are given into a new matrix. */
export function gatherRows(m: Matrix, indices: ArrayLike<number>, shared = false): Matrix {
  // shared: the rows go straight to shared memory (worker threads read them there) instead of a copy made after.
  const out = shared ? sharedArray(Float32Array, indices.length * m.dim) : new Float32Array(indices.length * m.dim);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    out.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim);
  }
  return { rows: indices.length, dim: m.dim, data: out };
}

/**
 * The largest component magnitude accepted: its square (1e30) summed over up to 10^8 dimensions stays below
 * float32's 3.4e38, so no inner product or squared distance overflows to Infinity.
 */
export const MAX_MAGNITUDE = 1e15;

/**
 * Validates a matrix argument: shape, expected dim, and that every value is finite
 * (a NaN in the input would silently poison every distance computed from it).
 */
export function checkMatrix(m: Matrix, name: string, expectedDim?: number, firstRow = 0): void {
  if (m == null || !(m.data instanceof Float32Array)) {
    // Data travels between packages as Arrow; index-core stays free of Arrow and says how to convert.
    const arrow = m != null && typeof m === 'object' && 'schema' in m && 'numRows' in m;
    throw invalidArgument(name, `a Matrix {rows, dim, data: Float32Array}${arrow ? ' (this is an Arrow Table or RecordBatch: convert it with matrixFromArrow(table) from @libvq/dataset)' : ''}`, m);
  }
  if (!Number.isInteger(m.rows) || m.rows < 0 || !Number.isInteger(m.dim) || m.dim <= 0) {
    throw invalidArgument(`${name}.rows/dim`, 'non-negative integer rows and positive integer dim', `${m.rows}x${m.dim}`);
  }
  if (m.data.length !== m.rows * m.dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}: data has ${m.data.length} floats, expected rows*dim = ${m.rows * m.dim}`);
  }
  if (expectedDim !== undefined && m.dim !== expectedDim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}: vectors have dimension ${m.dim}, the index expects ${expectedDim}`);
  }
  const i = firstOutOfRange(m.data);
  if (i < 0) return;
  const v = m.data[i];
  const r = Math.floor(i / m.dim);
  if (v - v !== 0) throw new LibvqError('NON_FINITE', `${name}: row ${firstRow + r}, component ${i - r * m.dim} is ${v} (vectors must be finite)`);
  throw new LibvqError(
    'NON_FINITE',
    `${name}: row ${firstRow + r}, component ${i - r * m.dim} is ${v}; components must lie within ±1e15, or squared distances overflow float32 to Infinity (rescale the vectors)`,
  );
}

/**
 * The first of d[start .. end) that is NaN, infinite or beyond ±MAX_MAGNITUDE (its index in d), or −1: the check
 * every input of vectors goes through. One test per component (NaN fails every comparison) and one branch per 4:
 * checking each add's input took ~90 ms of GloVe's 340,479 × 100 one test and branch at a time, 2.3× this.
 */
export function firstOutOfRange(d: Float32Array, start = 0, end = d.length): number {
  const end4 = start + ((end - start) & ~3);
  let i = start;
  for (; i < end4; i += 4) {
    if (!(Math.abs(d[i]) <= MAX_MAGNITUDE && Math.abs(d[i + 1]) <= MAX_MAGNITUDE && Math.abs(d[i + 2]) <= MAX_MAGNITUDE && Math.abs(d[i + 3]) <= MAX_MAGNITUDE)) break;
  }
  for (; i < end; i++) if (!(Math.abs(d[i]) <= MAX_MAGNITUDE)) return i;
  return -1;
}

/** L2-normalises every row in place (zero rows are left as they are). */
export function normalizeRows(m: Matrix): Matrix {
  const { dim, data } = m;
  for (let i = 0; i < m.rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[o + j] * data[o + j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) data[o + j] *= inv;
    }
  }
  return m;
}
