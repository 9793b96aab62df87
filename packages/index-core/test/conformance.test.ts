/**
 * One conformance suite for every backend (TensorFlow.js's lesson): each kernel against a float64
 * brute-force reference, with stated tolerances. A new backend joins by adding a line to `backends`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Backend, InvertedLists, createGpujsBackend, jsBackend, type Matrix, type Metric } from '../src/index.js';
import { randomData, refKnn, refScore } from './helpers/data.js';

/**
 * The backends and their relative tolerance on scores. js and gpujs 'cpu' accumulate float32 inputs in
 * float64 JavaScript numbers; gpujs 'webasm' and 'gpu' accumulate in float32 (d ≤ 64 terms: ~1e-5
 * relative), so 1e-4 holds for all. The gpujs cases set minWork 0 so every kernel runs in gpu.js, never
 * the js fallback; 'cpu, tiny calls' caps each kernel call at 97 output cells, so every kernel is split
 * into many calls (tiles, query blocks, IVF batches, lists cut into pieces, queries spanning batches).
 * Mode 'gpu' joins only where headless-gl opens a context (a built `gl` module under a display); CI has
 * none, and runs the cpu and webasm cases.
 */
const REL_TOL = 1e-4;
const gl = createGpujsBackend({ minWork: 0 });
const backends: [string, Backend][] = [
  ['js', jsBackend],
  ['gpujs cpu', createGpujsBackend({ mode: 'cpu', minWork: 0 })],
  ['gpujs cpu, tiny calls', createGpujsBackend({ mode: 'cpu', minWork: 0, maxOutput: 97 })],
  ['gpujs webasm', createGpujsBackend({ mode: 'webasm', minWork: 0 })],
  ...(gl.mode === 'gpu' ? [['gpujs gpu', gl] as [string, Backend]] : []),
];
const metrics: Metric[] = ['ip', 'l2'];

afterAll(async () => {
  for (const [, b] of backends) if ('dispose' in b) await (b as { dispose(): Promise<void> }).dispose();
  await gl.dispose();
});

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= REL_TOL * Math.max(1, scale);
}

describe.each(backends)('backend %s', (_name, be) => {
  const x = randomData(37, 24, 1);
  const y = randomData(203, 24, 2);

  it.each(metrics)('distances (%s) match float64', (metric) => {
    const out = be.distances(x, y, metric);
    for (let i = 0; i < x.rows; i++)
      for (let j = 0; j < y.rows; j++) {
        const r = refScore(x, i, y, j, metric);
        expect(close(out[i * y.rows + j], r, Math.abs(r))).toBe(true);
      }
  });

  it.each(metrics)('knn (%s) returns the exact top-k, best first, padded', (metric) => {
    const k = 7;
    const res = be.knn(x, y, k, metric);
    const ref = refKnn(x, y, k, metric);
    for (let i = 0; i < x.rows * k; i++) {
      expect(res.labels[i]).toBe(ref.labels[i]);
      expect(close(res.distances[i], ref.scores[i], Math.abs(ref.scores[i]))).toBe(true);
    }
    const small = be.knn(x, { rows: 3, dim: 24, data: y.data.subarray(0, 72) }, 5, metric);
    expect(Array.from(small.labels.subarray(3, 5))).toEqual([-1, -1]);
    expect(small.distances[4]).toBe(metric === 'ip' ? -Infinity : Infinity);
  });

  // k = 1 has its own path in js (a running best per row, no heaps): several column tiles (d = 1030), exact ties
  // (duplicated columns: the lower id wins, as with k > 1), and no candidate at all.
  it.each(metrics)('knn k=1 (%s): the best row, lower id on ties, across column tiles', (metric) => {
    const xs = randomData(50, 1030, 5);
    const ys = randomData(600, 1030, 6);
    ys.data.copyWithin(599 * 1030, 17 * 1030, 18 * 1030); // column 599 duplicates column 17
    const q = { rows: 51, dim: 1030, data: new Float32Array(51 * 1030) };
    q.data.set(xs.data);
    q.data.set(ys.data.subarray(17 * 1030, 18 * 1030), 50 * 1030); // query 50 is column 17 (and 599)
    const res = be.knn(q, ys, 1, metric);
    const ref = refKnn(q, ys, 1, metric);
    for (let i = 0; i < q.rows; i++) {
      expect(res.labels[i]).toBe(ref.labels[i]);
      // l2 comes from norms minus twice the dot product: its rounding scales with the norms (~d/3), not the distance.
      expect(close(res.distances[i], ref.scores[i], Math.abs(ref.scores[i]) + (metric === 'l2' ? 1030 : 0))).toBe(true);
    }
    expect(res.labels[50]).toBe(17);
    const none = be.knn(x, { rows: 0, dim: 24, data: new Float32Array(0) }, 1, metric);
    expect(Array.from(none.labels)).toEqual(new Array(x.rows).fill(-1));
    expect(none.distances[0]).toBe(metric === 'ip' ? -Infinity : Infinity);
  });

  // 3 and 24: the small-dim and tiled paths; 1030 × 600 centroids: several row and column tiles (the js tile is
  // 262144 / d = 254 centroids wide), a dimension that is not a multiple of the SIMD width.
  it.each([
    [3, 300, 40],
    [24, 300, 40],
    [1030, 70, 600],
  ])('assign (d=%i, %i vectors, %i centroids) finds the nearest centroid in L2', (dim, n, nc) => {
    const xs = randomData(n, dim, 3);
    const c = randomData(nc, dim, 4);
    const { labels, distances } = be.assign(xs, c);
    const ref = refKnn(xs, c, 1, 'l2');
    for (let i = 0; i < xs.rows; i++) {
      expect(labels[i]).toBe(ref.labels[i]);
      expect(close(distances[i], ref.scores[i], ref.scores[i])).toBe(true);
    }
  });

  const M = 4;
  const ksub = 16;
  const dsub = 6;
  const codebooks = randomData(M * ksub, dsub, 5).data;
  const q = randomData(5, M * dsub, 6);

  it.each(metrics)('pqTables (%s) match float64 sub-vector scores', (metric) => {
    const t = be.pqTables(q, codebooks, M, ksub, metric);
    for (let i = 0; i < q.rows; i++)
      for (let m = 0; m < M; m++)
        for (let j = 0; j < ksub; j++) {
          let s = 0;
          for (let u = 0; u < dsub; u++) {
            const a = q.data[i * M * dsub + m * dsub + u];
            const b = codebooks[(m * ksub + j) * dsub + u];
            s += metric === 'ip' ? a * b : (a - b) ** 2;
          }
          expect(close(t[(i * M + m) * ksub + j], s, Math.abs(s))).toBe(true);
        }
  });

  function refAdc(tables: Float32Array, codes: Uint8Array, qi: number, r: number, bias = 0): number {
    let s = bias;
    for (let m = 0; m < M; m++) s += tables[(qi * M + m) * ksub + codes[r * M + m]];
    return s;
  }

  it.each(metrics)('adcScan (%s) returns the top-k codes by table sums', (metric) => {
    const n = 500;
    const codes = new Uint8Array(n * M).map((_, i) => (i * 7919 + 13) % ksub);
    const tables = be.pqTables(q, codebooks, M, ksub, metric);
    const k = 10;
    const res = be.adcScan(tables, codes, n, M, ksub, k, metric);
    for (let i = 0; i < q.rows; i++) {
      const all = Array.from({ length: n }, (_, r) => ({ r, s: refAdc(tables, codes, i, r) }));
      all.sort((a, b) => (a.s !== b.s ? (metric === 'ip' ? b.s - a.s : a.s - b.s) : a.r - b.r));
      for (let j = 0; j < k; j++) expect(close(res.distances[i * k + j], all[j].s, Math.abs(all[j].s))).toBe(true);
      // the k-th best score is a threshold every returned code must reach
      const kth = all[k - 1].s;
      for (let j = 0; j < k; j++) {
        const s = refAdc(tables, codes, i, res.labels[i * k + j]);
        expect(metric === 'ip' ? s >= kth - 1e-4 : s <= kth + 1e-4).toBe(true);
      }
    }
  });

  function makeLists(codeSize: number, fill: (list: number, r: number) => Uint8Array): InvertedLists {
    const lists = new InvertedLists(3, codeSize);
    let id = 100;
    for (let l = 0; l < 3; l++) {
      const n = l === 1 ? 0 : 20 + l * 5; // one empty list
      const codes = new Uint8Array(n * codeSize);
      const ids = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        codes.set(fill(l, r), r * codeSize);
        ids[r] = id++;
      }
      lists.setList(l, codes, ids);
    }
    return lists;
  }

  it.each(metrics)('ivfAdcScan (%s) scores bias + table sums over probed lists only', (metric) => {
    const lists = makeLists(M, (l, r) => new Uint8Array(M).map((_, m) => (l * 31 + r * 7 + m * 3) % ksub));
    const tables = be.pqTables(q, codebooks, M, ksub, metric);
    const probes = { nprobe: 2, lists: new Int32Array(q.rows * 2), bias: new Float32Array(q.rows * 2) };
    for (let i = 0; i < q.rows; i++) {
      probes.lists.set([i % 2 === 0 ? 0 : 2, 1], i * 2);
      probes.bias.set([0.5 * i, -0.25], i * 2);
    }
    const k = 30; // more than the probed entries of some queries: padding must appear
    const res = be.ivfAdcScan(tables, lists, probes, M, ksub, k, metric);
    for (let i = 0; i < q.rows; i++) {
      const l = probes.lists[i * 2];
      const expected: { id: number; s: number }[] = [];
      for (let r = 0; r < lists.sizes[l]; r++) {
        let s = probes.bias[i * 2];
        for (let m = 0; m < M; m++) s += tables[(i * M + m) * ksub + lists.codes[l][r * M + m]];
        expected.push({ id: lists.ids[l][r], s });
      }
      expected.sort((a, b) => (a.s !== b.s ? (metric === 'ip' ? b.s - a.s : a.s - b.s) : a.id - b.id));
      for (let j = 0; j < k; j++) {
        if (j < expected.length) expect(close(res.distances[i * k + j], expected[j].s, Math.abs(expected[j].s))).toBe(true);
        else expect(res.labels[i * k + j]).toBe(-1);
      }
    }
  });

  it.each(metrics)('ivfFlatScan (%s) is exact over probed lists', (metric) => {
    const d = 8;
    const vecs = randomData(90, d, 9);
    const lists = makeLists(d * 4, (l, r) => new Uint8Array(vecs.data.slice((l * 20 + r) * d, (l * 20 + r + 1) * d).buffer));
    const qq: Matrix = randomData(4, d, 10);
    const probes = { nprobe: 2, lists: new Int32Array([0, 2, 2, 0, 0, -1, 2, 1]), bias: new Float32Array(8) };
    const k = 5;
    const res = be.ivfFlatScan(qq, lists, probes, k, metric);
    for (let i = 0; i < qq.rows; i++) {
      const cand: { id: number; s: number }[] = [];
      for (let p = 0; p < 2; p++) {
        const l = probes.lists[i * 2 + p];
        if (l < 0) continue;
        for (let r = 0; r < lists.sizes[l]; r++) {
          const v = new Float32Array(lists.codes[l].buffer, r * d * 4, d);
          let s = 0;
          for (let t = 0; t < d; t++) s += metric === 'ip' ? qq.data[i * d + t] * v[t] : (qq.data[i * d + t] - v[t]) ** 2;
          cand.push({ id: lists.ids[l][r], s });
        }
      }
      cand.sort((a, b) => (a.s !== b.s ? (metric === 'ip' ? b.s - a.s : a.s - b.s) : a.id - b.id));
      for (let j = 0; j < k; j++) expect(res.labels[i * k + j]).toBe(cand[j].id);
    }
  });
});
