import { Matrix as MlMatrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { getBackend } from './backend/registry.js';
import type { Backend } from './backend/types.js';
import type { Matrix } from './matrix.js';
import { type Rng, gaussian } from './random.js';

/** a · bᵀ for row-major a (n×k) and b (m×k): the backend's blocked inner-product kernel. */
export function mulABt(a: Matrix, b: Matrix, backend?: string | Backend): Matrix {
  return { rows: a.rows, dim: b.rows, data: getBackend(backend).distances(a, b, 'ip') };
}

export function transpose(a: Matrix): Matrix {
  const out = new Float32Array(a.rows * a.dim);
  const { rows, dim, data } = a;
  for (let i = 0; i < rows; i++) for (let j = 0; j < dim; j++) out[j * rows + i] = data[i * dim + j];
  return { rows: dim, dim: rows, data: out };
}

function toMl(a: Matrix): MlMatrix {
  const m = new MlMatrix(a.rows, a.dim);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.dim; j++) m.set(i, j, a.data[i * a.dim + j]);
  return m;
}

function fromMl(m: MlMatrix): Matrix {
  const out = new Float32Array(m.rows * m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out[i * m.columns + j] = m.get(i, j);
  return { rows: m.rows, dim: m.columns, data: out };
}

/** A random d×d orthogonal matrix: QR of a seeded Gaussian matrix (as faiss's random rotation). */
export function randomOrthogonal(d: number, rng: Rng): Matrix {
  const g = new MlMatrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g.set(i, j, gaussian(rng));
  const q = new QrDecomposition(g).orthogonalMatrix;
  return fromMl(q);
}

/**
 * Orthogonal Procrustes: the orthogonal R (d2×d) minimising ‖X Rᵀ − Y‖ for X (n×d), Y (n×d2),
 * given C = Xᵀ Y (d×d2). With C = U S Vᵀ, Rᵀ = U Vᵀ, so R = V Uᵀ.
 */
export function procrustes(c: Matrix): Matrix {
  const svd = new SingularValueDecomposition(toMl(c), { autoTranspose: true });
  const r = svd.rightSingularVectors.mmul(svd.leftSingularVectors.transpose());
  return fromMl(r);
}
