/**
 * Conformance cases of the product-quantizer kernels — pqTables, adcScan, ivfAdcScan, ivfFlatScan — against
 * float64 sums. The ADC cases take the tables from the backend's own pqTables (checked by its own case), so a
 * scan is judged on its sums and its selection alone.
 */
import type { Backend, ListView, Probes } from '../backend/types.js';
import { newArena } from '../fastscan/new-arena.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import { expectClose, expectSame, expectThat } from './check.js';
import { type Scored, randomData, rankBestFirst, refPairScore } from './reference.js';
import type { ConformanceCase } from './types.js';

const METRICS: readonly Metric[] = ['ip', 'l2'];
/** 4 sub-quantizers of 16 codewords, 6 dimensions each; 5 queries of d = 24. */
const M = 4;
const KSUB = 16;
const DSUB = 6;

function pqData(): { codebooks: Float32Array; q: Matrix } {
  return { codebooks: randomData(M * KSUB, DSUB, 5).data, q: randomData(5, M * DSUB, 6) };
}

/** float64 sum of query qi's table entries for the M codes of row r (plus the list's bias). */
function refAdc(tables: Float32Array, codes: Uint8Array, qi: number, r: number, bias = 0): number {
  let s = bias;
  for (let m = 0; m < M; m++) s += tables[(qi * M + m) * KSUB + codes[r * M + m]];
  return s;
}

/**
 * Table shapes: the small case the scans share; GloVe's 8-bit sub-spaces (dsub 5, 256 codewords) over more
 * queries than one SIMD pass takes (64); and a shape the SIMD kernel does not take (dsub 20, 6 codewords).
 */
const TABLE_SHAPES: readonly (readonly [M: number, ksub: number, dsub: number, nq: number])[] = [
  [M, KSUB, DSUB, 5],
  [20, 256, 5, 70],
  [2, 6, 20, 3],
];

function pqTablesCase(be: Backend, metric: Metric, [m0, ksub, dsub, nq]: readonly [number, number, number, number], relTol: number): ConformanceCase {
  const shape = m0 === M && ksub === KSUB ? '' : `, M = ${m0}, ksub = ${ksub}, dsub = ${dsub}, ${nq} queries`;
  return {
    name: `pqTables (${metric}${shape}) match float64 sub-vector scores`,
    run() {
      const codebooks = randomData(m0 * ksub, dsub, 5).data;
      const q = randomData(nq, m0 * dsub, 6);
      const t = be.pqTables(q, codebooks, m0, ksub, metric);
      for (let i = 0; i < q.rows; i++)
        for (let m = 0; m < m0; m++)
          for (let j = 0; j < ksub; j++) {
            const s = refPairScore(q.data, i * m0 * dsub + m * dsub, codebooks, (m * ksub + j) * dsub, dsub, metric);
            expectClose(`pqTables (${metric}${shape}) [query ${i}, sub-quantizer ${m}, codeword ${j}]`, t[(i * m0 + m) * ksub + j], s, Math.abs(s), relTol);
          }
    },
  };
}

function adcScanCase(be: Backend, metric: Metric, relTol: number): ConformanceCase {
  return {
    name: `adcScan (${metric}) returns the top-k codes by table sums`,
    run() {
      const { codebooks, q } = pqData();
      const n = 500;
      const codes = new Uint8Array(n * M).map((_, i) => (i * 7919 + 13) % KSUB);
      const tables = be.pqTables(q, codebooks, M, KSUB, metric);
      const k = 10;
      const res = be.adcScan(tables, codes, n, M, KSUB, k, metric);
      for (let i = 0; i < q.rows; i++) {
        const all = rankBestFirst(Array.from({ length: n }, (_, r): Scored => ({ id: r, s: refAdc(tables, codes, i, r) })), metric);
        for (let j = 0; j < k; j++)
          expectClose(`adcScan (${metric}) [query ${i}, rank ${j}] distance`, res.distances[i * k + j], all[j].s, Math.abs(all[j].s), relTol);
        // The k-th best score is a threshold every returned code must reach (codes tied within the tolerance
        // may come in either order, so labels are judged by their scores, not compared one by one).
        const kth = all[k - 1].s;
        for (let j = 0; j < k; j++) {
          const label = res.labels[i * k + j];
          const s = label >= 0 && label < n ? refAdc(tables, codes, i, label) : NaN;
          expectThat(
            `adcScan (${metric}) [query ${i}, rank ${j}] label`,
            metric === 'ip' ? s >= kth - relTol : s <= kth + relTol,
            `got code ${label} scoring ${s}, not among the top ${k} (the ${k}-th best scores ${kth})`,
          );
        }
      }
    },
  };
}

/** Three lists, the middle one empty, ids from 100 on; `fill` gives the bytes of each entry. */
function makeLists(codeSize: number, fill: (list: number, r: number) => Uint8Array): ListView {
  const sizes = new Int32Array(3);
  const codes: Uint8Array[] = [];
  const ids: Float64Array[] = [];
  let id = 100;
  for (let l = 0; l < 3; l++) {
    const n = l === 1 ? 0 : 20 + l * 5;
    sizes[l] = n;
    codes.push(new Uint8Array(n * codeSize));
    ids.push(new Float64Array(n));
    for (let r = 0; r < n; r++) {
      codes[l].set(fill(l, r), r * codeSize);
      ids[l][r] = id++;
    }
  }
  return { sizes, codes, ids };
}

/**
 * The same lists with their codes placed back to back at an odd offset of a shared WebAssembly memory (an arena, as
 * IndexIVFPQ keeps them: fastscan/arena.ts), which a kernel scans in place.
 */
function inArena(lists: ListView): ListView {
  let bytes = 3;
  for (const c of lists.codes) bytes += c.length;
  const memory = newArena(bytes)!;
  let at = 3;
  const codes = lists.codes.map((c) => {
    const view = new Uint8Array(memory.buffer, at, c.length);
    view.set(c);
    at += c.length;
    return view;
  });
  return { sizes: lists.sizes, codes, ids: lists.ids, arena: { memory } };
}

function ivfAdcScanCase(be: Backend, metric: Metric, relTol: number, arena: boolean): ConformanceCase {
  return {
    name: `ivfAdcScan (${metric}) scores bias + table sums over probed lists only${arena ? ', codes in an arena' : ''}`,
    run() {
      const { codebooks, q } = pqData();
      const given = makeLists(M, (l, r) => new Uint8Array(M).map((_, m) => (l * 31 + r * 7 + m * 3) % KSUB));
      const lists = arena ? inArena(given) : given;
      const tables = be.pqTables(q, codebooks, M, KSUB, metric);
      const probes: Probes = { nprobe: 2, lists: new Int32Array(q.rows * 2), bias: new Float32Array(q.rows * 2) };
      for (let i = 0; i < q.rows; i++) {
        probes.lists.set([i % 2 === 0 ? 0 : 2, 1], i * 2); // list 1 is empty: only the first probe has entries
        probes.bias.set([0.5 * i, -0.25], i * 2);
      }
      // k = 30: more than the probed entries of some queries, so padding must appear; in an arena also k = 3000,
      // whose candidates take a larger head of the arena than the first.
      for (const k of arena ? [30, 3000] : [30]) {
        const res = be.ivfAdcScan(tables, lists, probes, M, KSUB, k, metric);
        for (let i = 0; i < q.rows; i++) {
          const l = probes.lists[i * 2];
          const expected: Scored[] = [];
          for (let r = 0; r < given.sizes[l]; r++) expected.push({ id: given.ids[l][r], s: refAdc(tables, given.codes[l], i, r, probes.bias[i * 2]) });
          rankBestFirst(expected, metric);
          for (let j = 0; j < k; j++) {
            const at = `ivfAdcScan (${metric}${arena ? ', arena' : ''}, k = ${k}) [query ${i}, rank ${j}]`;
            if (j < expected.length) expectClose(`${at} distance`, res.distances[i * k + j], expected[j].s, Math.abs(expected[j].s), relTol);
            else expectSame(`${at} padding label`, res.labels[i * k + j], -1);
          }
        }
      }
    },
  };
}

function ivfFlatScanCase(be: Backend, metric: Metric): ConformanceCase {
  return {
    name: `ivfFlatScan (${metric}) is exact over probed lists`,
    run() {
      const d = 8;
      const vecs = randomData(90, d, 9);
      // Entries are raw float32 vectors, d * 4 bytes each.
      const lists = makeLists(d * 4, (l, r) => new Uint8Array(vecs.data.slice((l * 20 + r) * d, (l * 20 + r + 1) * d).buffer));
      const qq = randomData(4, d, 10);
      // Query 2 probes list 0 and no second list (−1: fewer lists than nprobe).
      const probes: Probes = { nprobe: 2, lists: new Int32Array([0, 2, 2, 0, 0, -1, 2, 1]), bias: new Float32Array(8) };
      const k = 5;
      const res = be.ivfFlatScan(qq, lists, probes, k, metric);
      for (let i = 0; i < qq.rows; i++) {
        const cand: Scored[] = [];
        for (let p = 0; p < 2; p++) {
          const l = probes.lists[i * 2 + p];
          if (l < 0) continue;
          const v = new Float32Array(lists.codes[l].buffer, lists.codes[l].byteOffset, lists.sizes[l] * d);
          for (let r = 0; r < lists.sizes[l]; r++) cand.push({ id: lists.ids[l][r], s: refPairScore(qq.data, i * d, v, r * d, d, metric) });
        }
        rankBestFirst(cand, metric);
        for (let j = 0; j < k; j++) expectSame(`ivfFlatScan (${metric}) [query ${i}, rank ${j}] label`, res.labels[i * k + j], cand[j].id);
      }
    },
  };
}

/** The product-quantizer kernels' cases, in the order the suite runs them. */
export function pqCases(be: Backend, relTol: number): ConformanceCase[] {
  return [
    ...TABLE_SHAPES.flatMap((shape) => METRICS.map((m) => pqTablesCase(be, m, shape, relTol))),
    ...METRICS.map((m) => adcScanCase(be, m, relTol)),
    ...METRICS.flatMap((m) => [ivfAdcScanCase(be, m, relTol, false), ivfAdcScanCase(be, m, relTol, true)]),
    ...METRICS.map((m) => ivfFlatScanCase(be, m)),
  ];
}
