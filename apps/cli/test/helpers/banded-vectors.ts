import { type Matrix, matrix } from '@libvq/index-core';
import { normalizeRows } from '@libvq/index-core/util';

/** Seeded unit vectors with a 3-way structure in their first 4 components: the `libvq train` tests' corpus. */
export function bandedVectors(n: number, d: number, seed: number): Matrix {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
  const m = matrix(n, d);
  for (let i = 0; i < m.data.length; i++) m.data[i] = u() + (i % d < 4 ? Math.floor(i / d) % 3 : 0);
  normalizeRows(m);
  return m;
}
