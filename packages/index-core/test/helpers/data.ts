import { createRng, gaussian } from '../../src/util.js';
import { type Matrix } from '../../src/index.js';

// The float64 reference math lives with the conformance suite (src/testing), which the library exports.
export { refKnn } from '../../src/testing/reference.js';

/** Gaussian data with a few dominant directions, so quantizers have structure to find. */
export function structuredData(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  const scales = new Float32Array(dim);
  for (let j = 0; j < dim; j++) scales[j] = 1 / (1 + j * 0.3);
  for (let i = 0; i < rows; i++) {
    const a = gaussian(rng);
    for (let j = 0; j < dim; j++) data[i * dim + j] = scales[j] * gaussian(rng) + 0.5 * a * Math.sin(j + 1);
  }
  return { rows, dim, data };
}

/** Share of queries whose true nearest neighbour appears in the top-k labels. */
export function recallAt(labels: ArrayLike<number | bigint>, k: number, truth: Int32Array, truthK: number, nq: number): number {
  let hit = 0;
  for (let i = 0; i < nq; i++) {
    const t = truth[i * truthK];
    for (let r = 0; r < k; r++) if (Number(labels[i * k + r]) === t) { hit++; break; }
  }
  return hit / nq;
}
