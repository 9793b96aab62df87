import { describe, expect, it } from 'vitest';
import { IndexIVFPQ, IndexPQ, indexFactory, type Index, type Matrix } from '../src/index.js';
import { SEARCH_BATCH_BYTES } from '../src/indexes/checks.js';
import { IVF_PQ_SCAN_BATCH } from '../src/indexes/index-ivf-pq.js';
import { sliceRows } from '../src/util.js';
import { refKnn } from '../src/testing/reference.js';
import { structuredData } from './helpers/data.js';

/**
 * A search runs its queries in batches of bounded working memory (checks.ts searchInBatches). Oracle: every
 * query searched alone, in a call of its own: the batched call must return the same bytes, and no batch may hold
 * more queries' tables than the budget allows.
 */
describe('search in batches', () => {
  const d = 32;
  const base = structuredData(3000, d, 21);
  const queries = structuredData(1300, d, 22);

  /** Rows of each computeTables call an index's PQ makes while `f` runs. */
  function tableRows(pq: { computeTables: (q: Matrix, ...rest: never[]) => Float32Array }, f: () => void): number[] {
    const rows: number[] = [];
    const own = pq.computeTables;
    pq.computeTables = (q: Matrix, ...rest: never[]) => (rows.push(q.rows), own.call(pq, q, ...rest));
    try {
      f();
    } finally {
      pq.computeTables = own;
    }
    return rows;
  }

  function expectSameAsAlone(index: Index, k: number, nprobe: number, kFactor?: number): void {
    const all = index.searchSync(queries, { k, nprobe, kFactor });
    for (let i = 0; i < queries.rows; i++) {
      const one = index.searchSync(sliceRows(queries, i, i + 1), { k, nprobe, kFactor });
      expect(Buffer.from(all.labels.buffer, i * k * 8, k * 8).equals(Buffer.from(one.labels.buffer))).toBe(true);
      expect(Buffer.from(all.distances.buffer, i * k * 4, k * 4).equals(Buffer.from(one.distances.buffer))).toBe(true);
    }
  }

  it.each([
    ['IVF16,PQ8x8', 'ip'],
    ['IVF16,PQ8x8', 'l2'],
    ['PQ8x8', 'l2'],
  ] as const)('%s (%s): 1,300 queries in batches of the budget give the bytes of one query at a time', (factory, metric) => {
    const index = indexFactory(d, factory, metric);
    index.trainSync(base, { seed: 5 });
    index.addSync(base);
    const pq = (index as IndexIVFPQ | IndexPQ).pq;
    // 8 sub-quantizers × 256 float entries per query: the budget holds 512 queries' tables.
    const perBatch = Math.floor(SEARCH_BATCH_BYTES / (8 * 256 * 4 + (factory.startsWith('IVF') ? 4 * 8 : 0)));
    const rows = tableRows(pq, () => index.searchSync(queries, { k: 10, nprobe: 4 }));
    // IVF-PQ computes the tables of each search batch in scan batches of its own (a scratch of SCAN_BATCH queries).
    const batches = Array.from({ length: Math.ceil(1300 / perBatch) }, (_, b) => Math.min(perBatch, 1300 - b * perBatch));
    const scanBatch = factory.startsWith('IVF') ? IVF_PQ_SCAN_BATCH : perBatch;
    const want = batches.flatMap((n) => Array.from({ length: Math.ceil(n / scanBatch) }, (_, i) => Math.min(scanBatch, n - i * scanBatch)));
    expect(rows).toEqual(want);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(1300);
    expectSameAsAlone(index, 10, 4);
  });

  it('IVF16,Flat probing every list, 40,000 queries (two batches): the float64 brute-force top 5', () => {
    const small = sliceRows(base, 0, 800); // a small base: the test is about batches of queries
    const index = indexFactory(d, 'IVF16,Flat', 'l2');
    index.trainSync(small, { seed: 5 });
    index.addSync(small);
    // 16 probes × 8 bytes a query: batches of 32,768 queries, so 40,000 (the 1,300 queries repeated) take two.
    const n = 40_000;
    expect(Math.floor(SEARCH_BATCH_BYTES / (16 * 8))).toBeLessThan(n);
    const many = { rows: n, dim: d, data: new Float32Array(n * d) };
    for (let i = 0; i < n; i++) many.data.set(queries.data.subarray((i % queries.rows) * d, ((i % queries.rows) + 1) * d), i * d);
    const r = index.searchSync(many, { k: 5, nprobe: 16 });
    const ref = refKnn(queries, small, 5, 'l2');
    for (let i = 0; i < n; i += 97) {
      const q = i % queries.rows;
      for (let j = 0; j < 5; j++) expect(r.labels[i * 5 + j]).toBe(ref.labels[q * 5 + j]);
    }
  });

  it('IVF16,Flat and IVF16,PQ8x4fs: a batched search equals one query at a time', () => {
    for (const factory of ['IVF16,Flat', 'IVF16,PQ8x4fs']) {
      const index = indexFactory(d, factory, 'ip');
      index.trainSync(base, { seed: 5 });
      index.addSync(base);
      expectSameAsAlone(index, 5, 3);
    }
  });

  // Fast-scan makes a batch's uint8 tables 64 queries at a time (its float tables too, unless re-ranking reads them)
  // and scans the batch in groups of queries sharing lists: residual codes (a coarse term per list; l2: a table per
  // probe), kFactor 1 and 3.
  it.each([
    ['ip', 1],
    ['ip', 3],
    ['l2', 1],
    ['l2', 3],
  ] as const)('IVF16,PQ8x4fsr (%s, kFactor %i): 1,300 queries in one search equal one query at a time', (metric, kFactor) => {
    const index = indexFactory(d, 'IVF16,PQ8x4fsr', metric);
    index.trainSync(base, { seed: 5 });
    index.addSync(base);
    expectSameAsAlone(index, 5, 3, kFactor);
  });
});
