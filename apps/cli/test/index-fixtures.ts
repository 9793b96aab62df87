import { writeFileSync } from 'node:fs';
import { createRng, gaussian } from '@libvq/index-core/util';
import { type Matrix } from '@libvq/index-core';
import { registerBuild } from '../src/commands/build.js';
import { registerEval } from '../src/commands/eval.js';
import { registerSearch } from '../src/commands/search.js';
import { runLibvq } from './cli-runner.js';

/**
 * Shared by the build / search / eval tests: an in-process `libvq`, seeded test vectors, and the
 * independent references (float64 brute force, recall counted by hand) the CLI's figures are checked against.
 */

export type { CliRun } from './cli-runner.js';

export function libvq(...args: string[]) {
  return runLibvq([registerBuild, registerSearch, registerEval], args);
}

/** Gaussian vectors around a few seeded centres, so IVF lists and PQ codes have structure to find. */
export function clusteredVectors(rows: number, dim: number, seed: number, clusters = 8): Matrix {
  const rng = createRng(seed);
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = 2 * gaussian(rng);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const c = rng.int(clusters);
    for (let j = 0; j < dim; j++) data[i * dim + j] = centres[c * dim + j] + gaussian(rng);
  }
  return { rows, dim, data };
}

/** An .fvecs file written byte by byte (so it can hold what the library's writer refuses, such as NaN). */
export function writeRawFvecs(path: string, m: Matrix): void {
  const buf = Buffer.alloc(m.rows * (4 + 4 * m.dim));
  for (let i = 0; i < m.rows; i++) {
    const o = i * (4 + 4 * m.dim);
    buf.writeInt32LE(m.dim, o);
    for (let j = 0; j < m.dim; j++) buf.writeFloatLE(m.data[i * m.dim + j], o + 4 + 4 * j);
  }
  writeFileSync(path, buf);
}

/** Exact top-k per query in float64 by sorting every score (no shared code with the library's knn). */
export function bruteForceTopK(q: Matrix, base: Matrix, k: number, metric: 'ip' | 'l2'): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < q.rows; i++) {
    const scored: { id: number; s: number }[] = [];
    for (let j = 0; j < base.rows; j++) {
      let s = 0;
      for (let t = 0; t < q.dim; t++) {
        const a = q.data[i * q.dim + t];
        const b = base.data[j * base.dim + t];
        s += metric === 'ip' ? a * b : (a - b) * (a - b);
      }
      scored.push({ id: j, s });
    }
    scored.sort((a, b) => (metric === 'ip' ? b.s - a.s : a.s - b.s));
    out.push(scored.slice(0, k).map((e) => e.id));
  }
  return out;
}

/** faiss's n-R@m counted by hand: the share of each query's true top-n found in the returned top-m. */
export function recallByHand(labels: BigInt64Array, k: number, truth: number[][], n: number, m: number): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) {
    const returned = new Set<number>();
    for (let j = 0; j < m; j++) returned.add(Number(labels[i * k + j]));
    let hit = 0;
    for (let j = 0; j < n; j++) if (returned.has(truth[i][j])) hit++;
    sum += hit / n;
  }
  return sum / truth.length;
}
