import { matrix } from '@libvq/index-core';
import { normalizeRows } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';

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
