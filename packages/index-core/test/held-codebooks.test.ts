/**
 * The js table kernel keeps the codebooks transposed between calls when they come as ProductQuantizer's unchanging
 * view (one view object per version of the values: product-quantizer.ts, matrix.ts). Oracle: the same kernel on a
 * plain copy of the codebooks (never held, transposed on every call), byte for byte, and a float64 sum for the values.
 * The oracle runs before the calls under test: on the same kernel instance it drops what that instance holds.
 */
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../src/backend/js/index.js';
import { simdTables } from '../src/backend/js/wasm/simd-tables.js';
import { IndexIVFPQ } from '../src/indexes/index-ivf-pq.js';
import { IndexPQ } from '../src/indexes/index-pq.js';
import { markUnchanging, type Matrix } from '../src/matrix.js';
import { createRng } from '../src/random.js';

function randomMatrix(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  return { rows, dim, data: new Float32Array(rows * dim).map(() => rng.next() * 2 - 1) };
}

const sameBytes = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The kernel's tables for plain (never held) copies of the codebooks. */
function unheld(q: Matrix, codebooks: Float32Array, M: number, ksub: number, metric: 'ip' | 'l2'): Float32Array {
  return jsBackend.pqTables(q, codebooks.slice(), M, ksub, metric);
}

describe('PQ tables with the codebooks held in the js kernel', () => {
  it.each(['ip', 'l2'] as const)('%s: the bytes of a fresh transposition, call after call, whatever ran in between', (metric) => {
    const M = 20;
    const ksub = 256;
    const dsub = 5;
    const q = randomMatrix(70, M * dsub, 1);
    const a = markUnchanging(randomMatrix(M * ksub, dsub, 2).data);
    const b = markUnchanging(randomMatrix(M * ksub, dsub, 3).data);
    const run = (cb: Float32Array, m = M, k = ksub) => {
      const out = new Float32Array(q.rows * m * k);
      simdTables(q.data, q.rows, cb, m, k, dsub, metric === 'l2', out);
      return out;
    };
    // Another shape over the same dsub (fewer sub-spaces, 16 codewords).
    const small = markUnchanging(a.subarray(0, 10 * 16 * dsub));
    const q10 = { rows: q.rows, dim: 10 * dsub, data: new Float32Array(q.rows * 10 * dsub) };
    for (let i = 0; i < q.rows; i++) q10.data.set(q.data.subarray(i * q.dim, i * q.dim + 10 * dsub), i * 10 * dsub);
    const wantA = unheld(q, a, M, ksub, metric);
    const wantB = unheld(q, b, M, ksub, metric);
    const wantSmall = unheld(q10, small, 10, 16, metric);
    expect(sameBytes(run(a), wantA), 'first call').toBe(true);
    expect(sameBytes(run(a), wantA), 'held').toBe(true);
    expect(sameBytes(run(b), wantB), 'other codebooks of the same shape').toBe(true);
    expect(sameBytes(run(a), wantA), 'back to the first').toBe(true);
    const outSmall = new Float32Array(q.rows * 10 * 16);
    simdTables(q10.data, q.rows, small, 10, 16, dsub, metric === 'l2', outSmall);
    expect(sameBytes(outSmall, wantSmall), 'another shape').toBe(true);
    const got = run(a);
    expect(sameBytes(got, wantA), 'after another shape').toBe(true);
    // Values: a float64 sum (the kernel sums in float32).
    for (const [i, m, j] of [[0, 0, 0], [69, 19, 255], [33, 7, 100]]) {
      let s = 0;
      for (let t = 0; t < dsub; t++) {
        const x = q.data[i * q.dim + m * dsub + t];
        const c = a[(m * ksub + j) * dsub + t];
        s += metric === 'ip' ? x * c : (x - c) * (x - c);
      }
      expect(got[(i * M + m) * ksub + j]).toBeCloseTo(s, 5);
    }
  });

  it('IndexPQ and IndexIVFPQ: tables of codebooks written in place after parametersChanged(), and after retraining', () => {
    const d = 40;
    const xt = randomMatrix(3000, d, 4);
    const q = randomMatrix(9, d, 5);
    const pqIndex = new IndexPQ(d, 10, 8, 'ip', 'js');
    const ivf = new IndexIVFPQ(d, 16, 10, 8, 'l2', 'js');
    pqIndex.trainSync(xt, { seed: 1 });
    ivf.trainSync(xt, { seed: 1 });
    for (const [name, pq] of [['IndexPQ', pqIndex.pq], ['IndexIVFPQ', ivf.pq]] as const) {
      const { M, ksub, dsub } = pq;
      // Against a float64 sum over the codebooks' current values (a stale transposition differs far beyond 1e-5).
      const check = (what: string): Float32Array => {
        const got = pq.computeTables(q, 'ip', 'js').slice();
        for (let i = 0; i < q.rows; i++) {
          for (let m = 0; m < M; m++) {
            for (let j = 0; j < ksub; j++) {
              let s = 0;
              for (let t = 0; t < dsub; t++) s += q.data[i * d + m * dsub + t] * pq.centroids[(m * ksub + j) * dsub + t];
              if (Math.abs(got[(i * M + m) * ksub + j] - s) > 1e-5) throw new Error(`${name}, ${what}: table [${i}][${m}][${j}] = ${got[(i * M + m) * ksub + j]}, float64 ${s}`);
            }
          }
        }
        return got;
      };
      const first = check('trained');
      expect(sameBytes(check('again (held)'), first), `${name}: held`).toBe(true);
      for (let i = 0; i < pq.centroids.length; i++) pq.centroids[i] = pq.centroids[i] * -0.5 + 0.001 * (i % 11);
      (name === 'IndexPQ' ? pqIndex : ivf).parametersChanged();
      check('written in place');
      pq.train(randomMatrix(2000, d, 6), { seed: 2 });
      const last = check('retrained');
      expect(sameBytes(last, unheld(q, pq.centroids, M, ksub, 'ip')), `${name}: the bytes of a fresh transposition`).toBe(true);
    }
  });
});
