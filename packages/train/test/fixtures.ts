import { matrix } from '@libvq/index-core';
import { normalizeRows } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';
import { readAssignments, type IndexParts } from '../src/fit.js';

/** Deterministic clustered unit vectors (tests only): docs around 12 centres, queries = noisy documents. */
export function clustered(seed: number, n: number, nq: number, d: number): { docs: Matrix; queries: Matrix } {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const g = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: d }, g));
  const docs = matrix(n, d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(u() * 12)];
    for (let j = 0; j < d; j++) docs.data[i * d + j] = c[j] + 0.8 * g();
  }
  normalizeRows(docs);
  const queries = matrix(nq, d);
  for (let i = 0; i < nq; i++) {
    const src = Math.floor(u() * n);
    for (let j = 0; j < d; j++) queries.data[i * d + j] = docs.data[src * d + j] + 0.3 * g();
  }
  normalizeRows(queries);
  return { docs, queries };
}

/**
 * Float64 reconstruction of every stored document from the index's own parameters (test oracle): its list's
 * centroid plus its PQ codewords, in the rotated space (rows of p.d values).
 */
export function reconstructStored(p: IndexParts): Float64Array {
  const a = readAssignments(p);
  const n = p.index.ntotal;
  const recon = new Float64Array(n * p.d);
  for (let i = 0; i < n; i++) {
    if (a.lists) for (let t = 0; t < p.d; t++) recon[i * p.d + t] = p.centroids![a.lists[i] * p.d + t];
    if (a.codes) {
      const { M, ksub, dsub, data: centroids } = p.codebooks!;
      for (let m = 0; m < M; m++) for (let t = 0; t < dsub; t++) recon[i * p.d + m * dsub + t] += centroids[(m * ksub + a.codes[i * M + m]) * dsub + t];
    }
  }
  return recon;
}

/** A query in the index's rotated space, float64 (test oracle). */
export function rotateQuery(p: IndexParts, x: Float32Array): Float64Array {
  const y = new Float64Array(p.d);
  const R = p.rotation;
  if (!R) y.set(x);
  else for (let r = 0; r < p.d; r++) for (let c = 0; c < p.dIn; c++) y[r] += R[r * p.dIn + c] * x[c];
  return y;
}
