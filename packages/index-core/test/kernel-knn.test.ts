/**
 * The js backend's k-NN for small k selects inside the WebAssembly kernel (backend/js/knn.ts kernelKnn,
 * wasm/topk-rows-module.ts). Oracle: knnOver, the heap-per-row selection over the same score tiles, which must be
 * matched byte for byte (distances and labels, order and padding included), and a float64 brute force for the set.
 */
import { describe, expect, it } from 'vitest';
import { bestColumns, forEachScoreTile } from '../src/backend/js/dot-tile.js';
import { KERNEL_TOPK_MAX, kernelKnn, knnOver } from '../src/backend/js/knn.js';
import { IndexFlat } from '../src/indexes/index-flat.js';
import { IndexIVFFlat } from '../src/indexes/index-ivf-flat.js';
import { markUnchanging, type Matrix } from '../src/matrix.js';
import { createRng } from '../src/random.js';

function randomMatrix(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  return { rows, dim, data };
}

function expectSameBytes(x: Matrix, y: Matrix, k: number, metric: 'ip' | 'l2', what: string): void {
  const got = kernelKnn(x, y, k, metric);
  const want = knnOver(forEachScoreTile, bestColumns, x, y, k, metric);
  expect(Buffer.from(got.labels.buffer).equals(Buffer.from(want.labels.buffer)), `${what}: labels`).toBe(true);
  expect(Buffer.from(got.distances.buffer).equals(Buffer.from(want.distances.buffer)), `${what}: distances`).toBe(true);
}

describe('kernelKnn (k selected in the WebAssembly kernel)', () => {
  it.each(['ip', 'l2'] as const)('%s: the bytes of the heap selection for k = 2 … 64, over two column blocks', (metric) => {
    // d = 100: 2,621 columns per block, so 3,000 rows of y are two blocks; 130 rows of x are three row blocks.
    const x = randomMatrix(130, 100, 1);
    const y = randomMatrix(3000, 100, 2);
    for (const k of [2, 3, 8, 17, KERNEL_TOPK_MAX]) expectSameBytes(x, y, k, metric, `${metric} k=${k}`);
  });

  it('the set is the float64 brute force top k (ip, well separated scores)', () => {
    const x = randomMatrix(20, 24, 3);
    const y = randomMatrix(500, 24, 4);
    const k = 10;
    const got = kernelKnn(x, y, k, 'ip');
    for (let i = 0; i < x.rows; i++) {
      const s = Array.from({ length: y.rows }, (_, j) => {
        let d = 0;
        for (let t = 0; t < x.dim; t++) d += x.data[i * x.dim + t] * y.data[j * y.dim + t];
        return { d, j };
      }).sort((a, b) => b.d - a.d || a.j - b.j);
      expect(Array.from(got.labels.subarray(i * k, (i + 1) * k)), `row ${i}`).toEqual(s.slice(0, k).map((e) => e.j));
    }
  });

  it.each(['ip', 'l2'] as const)('%s: ties (duplicate columns) go to the lower column, fewer columns than k are padded', (metric) => {
    const base = randomMatrix(7, 16, 5);
    // Every row of base four times, interleaved: each score appears four times, at columns j, j + 7, j + 14, j + 21.
    const y: Matrix = { rows: 28, dim: 16, data: new Float32Array(28 * 16) };
    for (let c = 0; c < 4; c++) y.data.set(base.data, c * 7 * 16);
    const x = randomMatrix(9, 16, 6);
    for (const k of [2, 5, 13, 28, 40]) expectSameBytes(x, y, k, metric, `${metric} k=${k}`);
    const few = kernelKnn(x, { rows: 3, dim: 16, data: y.data.subarray(0, 48) }, 5, metric);
    expect(Array.from(few.labels.subarray(3, 5))).toEqual([-1, -1]);
    expect(few.distances[4]).toBe(metric === 'ip' ? -Infinity : Infinity);
  });

  it.each(['ip', 'l2'] as const)('%s: infinite scores (float32 overflow) enter while a row has room, as in the heap selection', (metric) => {
    // Columns 4..7 overflow: ip scores −Infinity (x·y = −3e38·10), l2 distances +Infinity (‖y‖² beyond float32).
    const y = randomMatrix(8, 4, 8);
    for (let j = 4; j < 8; j++) y.data[j * 4] = metric === 'ip' ? -3e38 : 3e30;
    const x = randomMatrix(6, 4, 9);
    for (let i = 0; i < 6; i++) x.data[i * 4] = 10;
    const got = kernelKnn(x, y, 6, metric);
    expect(Array.from(got.distances.subarray(4, 6))).toEqual(metric === 'ip' ? [-Infinity, -Infinity] : [Infinity, Infinity]);
    expect(got.labels[5]).toBeGreaterThanOrEqual(4);
    expectSameBytes(x, y, 6, metric, `${metric} overflow`);
  });

  it('scores in increasing column order (every score enters), rows beyond one batch of kept rows, no columns', () => {
    // y_j = (j + 1)·e_0: with x = e_0 the inner products increase with j, each a new best.
    const y: Matrix = { rows: 300, dim: 8, data: new Float32Array(300 * 8) };
    for (let j = 0; j < 300; j++) y.data[j * 8] = j + 1;
    const x = randomMatrix(4100, 8, 7);
    for (let i = 0; i < 5; i++) x.data.fill(0, i * 8, i * 8 + 8), (x.data[i * 8] = 1);
    for (const metric of ['ip', 'l2'] as const) expectSameBytes(x, y, KERNEL_TOPK_MAX, metric, `${metric} increasing`);
    const none = kernelKnn(x, { rows: 0, dim: 8, data: new Float32Array(0) }, 4, 'ip');
    expect(none.labels.every((l) => l === -1)).toBe(true);
  });
});

/** float64 brute force: the k best rows of y for each row of x, best first (ties to the lower row). */
function bruteLabels(x: Matrix, y: Matrix, k: number, metric: 'ip' | 'l2'): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.rows; i++) {
    const s = Array.from({ length: y.rows }, (_, j) => {
      let d = 0;
      for (let t = 0; t < x.dim; t++) {
        const a = x.data[i * x.dim + t];
        const b = y.data[j * y.dim + t];
        d += metric === 'ip' ? a * b : (a - b) * (a - b);
      }
      return { d: metric === 'ip' ? -d : d, j };
    }).sort((a, b) => a.d - b.d || a.j - b.j);
    for (let j = 0; j < k; j++) out.push(j < s.length ? s[j].j : -1);
  }
  return out;
}

describe('kernelKnn on an unchanging matrix (panels held in the kernel between calls)', () => {
  it.each(['ip', 'l2'] as const)('%s: the bytes of the heap selection, call after call, whatever ran on the kernel in between', (metric) => {
    // Two blocks of columns (2,621 per block at d = 100); the other operations reuse the same kernel instance.
    const y = markUnchanging(randomMatrix(3000, 100, 11));
    const other = markUnchanging(randomMatrix(700, 100, 12));
    const plain = randomMatrix(900, 100, 13);
    const x = randomMatrix(70, 100, 14);
    const many = randomMatrix(5000, 100, 15);
    expectSameBytes(x, y, 8, metric, 'first call (packs)');
    expectSameBytes(x, y, 8, metric, 'second call (held)');
    expectSameBytes(x, other, 5, metric, 'another unchanging matrix');
    expectSameBytes(x, y, 8, metric, 'back to the first');
    forEachScoreTile(x.data, x.rows, plain.data, plain.rows, 100, metric === 'l2', () => undefined);
    bestColumns(x.data, x.rows, plain.data, plain.rows, 100, metric === 'l2');
    expectSameBytes(x, y, 8, metric, 'after other operands were loaded');
    // More rows of x: a larger layout (kept rows) that overlaps where the panels were held.
    expectSameBytes(many, y, KERNEL_TOPK_MAX, metric, 'a larger layout');
    expectSameBytes(x, y, 3, metric, 'a smaller one again');
  });

  it.each(['ip', 'l2'] as const)('%s: IndexFlat searches see every change of its vectors (add, remove, reset, in-place write)', (metric) => {
    const d = 100;
    const base = randomMatrix(1200, d, 21);
    const q = randomMatrix(6, d, 22);
    const k = 7;
    const flat = new IndexFlat(d, metric, 'js');
    const check = (what: string) => {
      const ids = flat.idMap.all();
      const got = Array.from(flat.searchSync(q, { k }).labels);
      expect(got, what).toEqual(bruteLabels(q, flat.vectors, k, metric).map((p) => (p < 0 ? -1 : ids[p])));
    };
    flat.addSync({ rows: 800, dim: d, data: base.data.slice(0, 800 * d) });
    check('after add');
    check('again (held)');
    flat.addSync({ rows: 400, dim: d, data: base.data.slice(800 * d) });
    check('after a second add');
    flat.remove(Float64Array.from({ length: 300 }, (_, i) => 3 * i));
    check('after remove (compacted in place)');
    flat.vectors.data.fill(0, 0, 50 * d);
    flat.parametersChanged();
    check('after an in-place write');
    flat.reset();
    expect(Array.from(flat.searchSync(q, { k: 2 }).labels)).toEqual(Array(12).fill(-1));
  });

  it('an IVF whose coarse centroids are written in place probes the new ones after parametersChanged()', () => {
    const d = 100;
    const xt = randomMatrix(2000, d, 31);
    const q = randomMatrix(5, d, 32);
    const ivf = new IndexIVFFlat(d, 64, 'l2', 'js');
    ivf.trainSync(xt, { seed: 3 });
    const probe = () => Array.from(ivf.quantizer.searchSync(q, { k: 4 }).labels);
    expect(probe()).toEqual(bruteLabels(q, ivf.quantizer.vectors, 4, 'l2'));
    // As @libvq/train does: the centroids rewritten in their own storage, then the one signal of an in-place write.
    const c = ivf.quantizer.vectors.data;
    for (let i = 0; i < c.length; i++) c[i] = -c[i] * 0.5 + 0.01 * (i % 7);
    ivf.parametersChanged();
    expect(probe()).toEqual(bruteLabels(q, ivf.quantizer.vectors, 4, 'l2'));
  });
});
