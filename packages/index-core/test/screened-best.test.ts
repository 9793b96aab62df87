import { describe, expect, it } from 'vitest';
import { bestColumns, fusedBestColumns, screenedBestColumns } from '../src/backend/js/dot-tile.js';
import { SCREEN_MIN_COLUMNS, SCREEN_MIN_DIM } from '../src/backend/js/wasm/screened-best.js';
import { createRng, type Rng } from '../src/random.js';

/*
 * The screened arg-max (int16 screening, then the candidates scored exactly) must give the fused float32 kernel's bytes:
 * the same column and bit-equal scores. The oracle is a one-pair-at-a-time scan in the kernel's float32 arithmetic
 * (products summed in t order from +0 over ⌈dim/4⌉·4 coordinates, then alpha·sum − ‖y‖²; ‖·‖² summed in float64
 * and rounded; strict >, so the lowest column on ties), and the fused kernel is checked against it too.
 * The data is made to trip a screening whose error bound is too tight: clusters of columns whose scores differ by
 * about the int16 quantization error (so the estimates order them wrongly), exact duplicates (ties), rows spanning
 * many orders of magnitude, zero rows and columns, negative zeros.
 */
function oracle(x: Float32Array, n: number, y: Float32Array, k: number, dim: number, l2: boolean): { best: Float32Array; arg: Int32Array } {
  const f = Math.fround;
  const dimP = Math.ceil(dim / 4) * 4;
  const norm = (v: Float32Array, r: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += v[r * dim + t] * v[r * dim + t];
    return f(s);
  };
  const best = new Float32Array(n);
  const arg = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = -Infinity;
    let a = -1;
    for (let j = 0; j < k; j++) {
      let acc = 0;
      for (let t = 0; t < dimP; t++) {
        const p = t < dim ? f(x[i * dim + t] * y[j * dim + t]) : 0;
        acc = f(acc + p);
      }
      const s = l2 ? f(f(2 * acc) - norm(y, j)) : f(acc - 0);
      if (s > b) {
        b = s;
        a = j;
      }
    }
    if (l2) {
      const v = f(norm(x, i) - b);
      b = a < 0 ? Infinity : v > 0 ? v : 0;
    }
    best[i] = b;
    arg[i] = a;
  }
  return { best, arg };
}

function expectSame(got: { best: Float32Array; arg: Int32Array }, want: { best: Float32Array; arg: Int32Array }, what: string): void {
  for (let i = 0; i < want.arg.length; i++) {
    if (got.arg[i] !== want.arg[i] || !Object.is(got.best[i], want.best[i])) {
      throw new Error(`${what}: row ${i}: column ${got.arg[i]} score ${got.best[i]}, want column ${want.arg[i]} score ${want.best[i]}`);
    }
  }
}

function gaussian(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() + rng.next() + rng.next() - 1.5) * scale;
  return a;
}

/**
 * k columns in clusters of `cluster`: each a random centre plus perturbations of relative size `spread`, so that
 * within a cluster the scores against any row differ by about spread; a few columns are exact copies of others.
 */
function nearTieColumns(rng: Rng, k: number, dim: number, cluster: number, spread: number): Float32Array {
  const y = new Float32Array(k * dim);
  let centre = gaussian(rng, dim);
  for (let j = 0; j < k; j++) {
    if (j % cluster === 0) centre = gaussian(rng, dim);
    for (let t = 0; t < dim; t++) y[j * dim + t] = centre[t] * (1 + spread * (rng.next() - 0.5));
    if (j > 2 && rng.next() < 0.05) y.copyWithin(j * dim, (j - 3) * dim, (j - 2) * dim); // a duplicate: a tie
  }
  return y;
}

/** Rows near the clusters' centres (so the near-tied columns compete for them), a few of them degenerate. */
function rowsNear(rng: Rng, y: Float32Array, k: number, n: number, dim: number): Float32Array {
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const j = Math.floor(rng.next() * k);
    for (let t = 0; t < dim; t++) x[i * dim + t] = y[j * dim + t] + 0.05 * (rng.next() - 0.5);
    if (i % 17 === 5) x.fill(0, i * dim, (i + 1) * dim); // a zero row: every column ties for ip
    if (i % 19 === 7) x.fill(-0, i * dim, (i + 1) * dim);
    if (i % 23 === 11) for (let t = 0; t < dim; t++) x[i * dim + t] *= t % 3 === 0 ? 1e4 : 1e-4; // wide range
  }
  return x;
}

describe('screened arg-max: the fused float32 kernel, bit for bit', () => {
  for (const l2 of [false, true]) {
    for (const dim of [32, 33, 37, 64, 100, 101, 128]) {
      it(`${l2 ? 'l2' : 'ip'}, d = ${dim}: near-tied columns, duplicates, degenerate rows`, () => {
        const rng = createRng(7000 + dim + (l2 ? 1 : 0));
        for (const k of [16, 17, 100, 1030]) {
          for (const spread of [1e-3, 1e-4, 1e-5]) {
            const n = k > 100 ? 24 : 67;
            const y = nearTieColumns(rng, k, dim, 8, spread);
            const x = rowsNear(rng, y, k, n, dim);
            const want = oracle(x, n, y, k, dim, l2);
            expectSame(fusedBestColumns(x, n, y, k, dim, l2), want, `fused k ${k} spread ${spread}`);
            expectSame(screenedBestColumns(x, n, y, k, dim, l2), want, `screened k ${k} spread ${spread}`);
          }
        }
      });
    }
  }

  it('tiny rows and columns (left unquantized below 2^-100, products that underflow), and huge ones', () => {
    const rng = createRng(74);
    const dim = 48;
    for (const [xs, ys] of [
      [1e-41, 1],
      [1, 1e-41],
      [1e-41, 1e-41],
      [1e-20, 1e-20],
      [3e-31, 1e-9],
      [1e14, 1e-3],
      [1e14, 1e14],
    ]) {
      for (const l2 of [false, true]) {
        const k = 40;
        const y = nearTieColumns(rng, k, dim, 5, 1e-3);
        for (let i = 0; i < y.length; i++) y[i] *= ys;
        const x = rowsNear(rng, y, k, 30, dim);
        for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i] * (xs / ys));
        const want = oracle(x, 30, y, k, dim, l2);
        expectSame(fusedBestColumns(x, 30, y, k, dim, l2), want, `fused x ${xs} y ${ys}`);
        expectSame(screenedBestColumns(x, 30, y, k, dim, l2), want, `screened x ${xs} y ${ys} ${l2 ? 'l2' : 'ip'}`);
      }
    }
  });

  it('columns in several blocks: a tie across blocks goes to the earlier block, as in the fused kernel', () => {
    const rng = createRng(71);
    const dim = 768; // blocks of 1,360 columns
    const k = 3000;
    const y = gaussian(rng, k * dim, 0.1);
    y.copyWithin(2900 * dim, 40 * dim, 41 * dim); // column 2900 (third block) = column 40 (first)
    y.copyWithin(1500 * dim, 40 * dim, 41 * dim); // and column 1500 (second)
    const n = 6;
    const x = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) x.set(y.subarray(40 * dim, 41 * dim), i * dim);
    for (let t = 0; t < dim; t++) x[5 * dim + t] = y[7 * dim + t]; // a row nearest column 7
    for (const l2 of [false, true]) {
      const want = oracle(x, n, y, k, dim, l2);
      expect(want.arg[0]).toBe(40);
      expectSame(screenedBestColumns(x, n, y, k, dim, l2), want, `blocks ${l2 ? 'l2' : 'ip'}`);
    }
  });

  it('every column a candidate: more than a rescoring chunk of them, the lowest column wins the tie', () => {
    const rng = createRng(72);
    const dim = 40;
    const k = 1030;
    const col = gaussian(rng, dim);
    const y = new Float32Array(k * dim);
    for (let j = 0; j < k; j++) y.set(col, j * dim);
    const n = 9; // 9 × 1,030 candidates: rescored in chunks of 4,096, rows split between them
    const x = gaussian(rng, n * dim);
    for (const l2 of [false, true]) {
      const want = oracle(x, n, y, k, dim, l2);
      expect([...want.arg]).toEqual(new Array(n).fill(0));
      expectSame(screenedBestColumns(x, n, y, k, dim, l2), want, `all ties ${l2 ? 'l2' : 'ip'}`);
    }
  });

  it('bestColumns screens from SCREEN_MIN_DIM dimensions and SCREEN_MIN_COLUMNS columns, the same bytes either way', () => {
    const rng = createRng(73);
    for (const [dim, k] of [
      [SCREEN_MIN_DIM - 1, 64],
      [SCREEN_MIN_DIM, SCREEN_MIN_COLUMNS - 1],
      [SCREEN_MIN_DIM, SCREEN_MIN_COLUMNS],
      [100, 1024],
    ]) {
      const y = nearTieColumns(rng, k, dim, 4, 1e-4);
      const x = rowsNear(rng, y, k, 50, dim);
      for (const l2 of [false, true]) expectSame(bestColumns(x, 50, y, k, dim, l2), oracle(x, 50, y, k, dim, l2), `d ${dim} k ${k}`);
    }
  });
});
