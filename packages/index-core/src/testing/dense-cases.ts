/**
 * Conformance cases of the dense kernels — distances, knn, assign — against float64 brute force.
 */
import type { Backend } from '../backend/types.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import { expectClose, expectSame } from './check.js';
import { randomData, refKnn, refScore } from './reference.js';
import type { ConformanceCase } from './types.js';

const METRICS: readonly Metric[] = ['ip', 'l2'];

/** The queries and vectors most cases share: small, d = 24 (the tiled path, not the small-dim one). */
function pair(): { x: Matrix; y: Matrix } {
  return { x: randomData(37, 24, 1), y: randomData(203, 24, 2) };
}

function distancesCase(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `distances (${metric}) match float64`,
    run() {
      const { x, y } = pair();
      const out = be.distances(x, y, metric);
      for (let i = 0; i < x.rows; i++)
        for (let j = 0; j < y.rows; j++) {
          const r = refScore(x, i, y, j, metric);
          expectClose(`distances (${metric}) [row ${i}, col ${j}]`, out[i * y.rows + j], r, Math.abs(r), relTol);
        }
    },
  };
}

function knnCase(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `knn (${metric}) returns the exact top-k, best first, padded`,
    run() {
      const { x, y } = pair();
      const k = 7;
      const res = be.knn(x, y, k, metric);
      const ref = refKnn(x, y, k, metric);
      for (let i = 0; i < x.rows * k; i++) {
        const at = `knn (${metric}) [query ${Math.floor(i / k)}, rank ${i % k}]`;
        expectSame(`${at} label`, res.labels[i], ref.labels[i]);
        expectClose(`${at} distance`, res.distances[i], ref.scores[i], Math.abs(ref.scores[i]), relTol);
      }
      // 3 vectors, k = 5: ranks 3 and 4 are padding (label −1, the worst possible score).
      const small = be.knn(x, { rows: 3, dim: 24, data: y.data.subarray(0, 72) }, 5, metric);
      expectSame(`knn (${metric}) with 3 vectors, k = 5 [query 0, rank 3] padding label`, small.labels[3], -1);
      expectSame(`knn (${metric}) with 3 vectors, k = 5 [query 0, rank 4] padding label`, small.labels[4], -1);
      expectSame(`knn (${metric}) with 3 vectors, k = 5 [query 0, rank 4] padding distance`, small.distances[4], metric === 'ip' ? -Infinity : Infinity);
    },
  };
}

/**
 * k > 1 with exact ties: columns 5, 40 and 150 are one vector (in different column blocks of a backend that
 * splits 203 columns), and query 0 is that vector scaled by 3, so the three are its best matches in both metrics
 * — in l2 at distance 4‖v‖², in ip with the largest dot product — and must come out in id order, as the
 * float64 reference ranks ties.
 */
function knnTiesCase(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `knn k=5 (${metric}): equal vectors come out in id order, across column blocks`,
    run() {
      const { x, y } = pair();
      const v = y.data.slice(40 * 24, 41 * 24);
      for (let j = 0; j < 24; j++) v[j] = Math.abs(v[j]) + 1; // far from the other (zero-mean) vectors
      for (const c of [5, 40, 150]) y.data.set(v, c * 24);
      for (let j = 0; j < 24; j++) x.data[j] = 3 * v[j];
      const res = be.knn(x, y, 5, metric);
      const ref = refKnn(x, y, 5, metric);
      for (let r = 0; r < 3; r++) expectSame(`knn k=5 (${metric}) [query 0, rank ${r}] label (ties in id order)`, res.labels[r], [5, 40, 150][r]);
      for (let i = 0; i < x.rows * 5; i++) {
        const at = `knn k=5 (${metric}) [query ${Math.floor(i / 5)}, rank ${i % 5}]`;
        expectSame(`${at} label`, res.labels[i], ref.labels[i]);
        expectClose(`${at} distance`, res.distances[i], ref.scores[i], Math.abs(ref.scores[i]), relTol);
      }
    },
  };
}

/**
 * k = 1 has its own path in js (a running best per row, no heaps): several column tiles (d = 1030), exact ties
 * (duplicated columns: the lower id wins, as with k > 1), and no candidate at all.
 */
function knn1Case(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `knn k=1 (${metric}): the best row, lower id on ties, across column tiles`,
    run() {
      const d = 1030;
      const xs = randomData(50, d, 5);
      const ys = randomData(600, d, 6);
      ys.data.copyWithin(599 * d, 17 * d, 18 * d); // column 599 duplicates column 17
      const q = { rows: 51, dim: d, data: new Float32Array(51 * d) };
      q.data.set(xs.data);
      q.data.set(ys.data.subarray(17 * d, 18 * d), 50 * d); // query 50 is column 17 (and 599)
      const res = be.knn(q, ys, 1, metric);
      const ref = refKnn(q, ys, 1, metric);
      for (let i = 0; i < q.rows; i++) {
        const at = `knn k=1 (${metric}) [query ${i}]`;
        expectSame(`${at} label`, res.labels[i], ref.labels[i]);
        // l2 comes from norms minus twice the dot product: its rounding scales with the norms (~d/3), not the distance.
        expectClose(`${at} distance`, res.distances[i], ref.scores[i], Math.abs(ref.scores[i]) + (metric === 'l2' ? d : 0), relTol);
      }
      expectSame(`knn k=1 (${metric}) [query 50, equal to vectors 17 and 599] label (the lower id wins a tie)`, res.labels[50], 17);
      const { x } = pair();
      const none = be.knn(x, { rows: 0, dim: 24, data: new Float32Array(0) }, 1, metric);
      for (let i = 0; i < x.rows; i++) expectSame(`knn k=1 (${metric}) with no vectors [query ${i}] padding label`, none.labels[i], -1);
      expectSame(`knn k=1 (${metric}) with no vectors [query 0] padding distance`, none.distances[0], metric === 'ip' ? -Infinity : Infinity);
    },
  };
}

/**
 * 3 and 24: the small-dim and tiled paths; 100 × 257 centroids: js's screened arg-max (from 32 dimensions) with a
 * column count that is not a multiple of its panels of 8, GloVe's dimension; 1030 × 600 centroids: several row and
 * column tiles (the js tile is 262144 / d = 254 centroids wide), a dimension that is not a multiple of the SIMD width.
 */
const ASSIGN_SHAPES: readonly (readonly [dim: number, n: number, nc: number])[] = [
  [3, 300, 40],
  [5, 300, 37], // a PQ sub-space (GloVe's dsub 5) with a centroid count that is not a multiple of 4
  [24, 300, 40],
  [100, 301, 257],
  [1030, 70, 600],
];

function assignCase(be: Backend, [dim, n, nc]: readonly [number, number, number], metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `assign (d=${dim}, ${n} vectors, ${nc} centroids) finds the nearest centroid in ${metric === 'l2' ? 'L2' : 'inner product'}`,
    run() {
      const xs = randomData(n, dim, 3);
      const c = randomData(nc, dim, 4);
      const { labels, distances } = metric === 'l2' ? be.assign(xs, c) : be.assign(xs, c, metric);
      const ref = refKnn(xs, c, 1, metric);
      for (let i = 0; i < xs.rows; i++) {
        const at = `assign (${metric}, d=${dim}) [vector ${i}]`;
        expectSame(`${at} centroid`, labels[i], ref.labels[i]);
        expectClose(`${at} distance`, distances[i], ref.scores[i], Math.abs(ref.scores[i]), relTol);
      }
    },
  };
}

/**
 * Inputs as the library hands them over: in a SharedArrayBuffer (the thread layer's training data and
 * centroids) and in arrays longer than rows × dim (an IndexFlat's storage grows ahead of its rows). The tail
 * holds NaN, so a kernel that reads past the rows returns NaN distances or wrong labels.
 */
function sharedInputsCase(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  const inShared = (m: Matrix, extraRows: number): Matrix => {
    const data = new Float32Array(new SharedArrayBuffer((m.rows + extraRows) * m.dim * 4)).fill(Number.NaN);
    data.set(m.data.subarray(0, m.rows * m.dim));
    return { rows: m.rows, dim: m.dim, data };
  };
  return {
    name: `knn k=1, k=5 and assign (${metric}) read shared-memory inputs longer than rows × dim`,
    run() {
      const { x, y } = pair();
      const xs = inShared(x, 0);
      const ys = inShared(y, 9);
      for (const k of [1, 5]) {
        const res = be.knn(xs, ys, k, metric);
        const ref = refKnn(x, y, k, metric);
        for (let i = 0; i < x.rows * k; i++) {
          const at = `knn k=${k} (${metric}, shared inputs) [query ${Math.floor(i / k)}, rank ${i % k}]`;
          expectSame(`${at} label`, res.labels[i], ref.labels[i]);
          expectClose(`${at} distance`, res.distances[i], ref.scores[i], Math.abs(ref.scores[i]) + (metric === 'l2' ? x.dim : 0), relTol);
        }
      }
      const { labels } = be.assign(xs, ys, metric);
      const ref = refKnn(x, y, 1, metric);
      for (let i = 0; i < x.rows; i++) expectSame(`assign (${metric}, shared inputs) [vector ${i}] centroid`, labels[i], ref.labels[i]);
    },
  };
}

/**
 * A backend with threads of its own (Backend.assignOnThreads) must give assign's bytes at any thread count: k-means
 * results may not depend on threads. 1030 × 600 centroids spans several tiles; 2 and 3 threads split them unevenly.
 */
function assignOnThreadsCase(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `assignOnThreads (${metric}) at 2 and 3 threads gives assign's bytes`,
    run() {
      const xs = randomData(70, 1030, 3);
      const c = randomData(600, 1030, 4);
      const one = be.assign(xs, c, metric);
      const ref = refKnn(xs, c, 1, metric);
      for (const threads of [2, 3]) {
        const many = be.assignOnThreads!(xs, c, metric, threads);
        for (let i = 0; i < xs.rows; i++) {
          const at = `assignOnThreads (${metric}, ${threads} threads) [vector ${i}]`;
          expectSame(`${at} centroid`, many.labels[i], one.labels[i]);
          expectSame(`${at} distance (bits of assign's)`, many.distances[i], one.distances[i]);
          expectClose(`${at} distance`, many.distances[i], ref.scores[i], Math.abs(ref.scores[i]), relTol);
        }
      }
    },
  };
}

/** The dense kernels' cases, in the order the suite runs them. */
export function denseCases(be: Backend, relTol: number): ConformanceCase[] {
  return [
    ...METRICS.map((m) => distancesCase(be, m, relTol)),
    ...METRICS.map((m) => knnCase(be, m, relTol)),
    ...METRICS.map((m) => knnTiesCase(be, m, relTol)),
    ...METRICS.map((m) => knn1Case(be, m, relTol)),
    ...ASSIGN_SHAPES.flatMap((s) => METRICS.map((m) => assignCase(be, s, m, relTol))),
    ...METRICS.map((m) => sharedInputsCase(be, m, relTol)),
    ...(be.assignOnThreads ? METRICS.map((m) => assignOnThreadsCase(be, m, relTol)) : []),
  ];
}
