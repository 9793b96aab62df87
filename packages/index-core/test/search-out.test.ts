import { afterAll, describe, expect, it } from 'vitest';
import { LibvqError, closeThreadPool, indexFactory, type Index, type SearchParams } from '../src/index.js';
import { refKnn, structuredData } from './helpers/data.js';

type SearchOutput = NonNullable<SearchParams['out']>;

/*
 * SearchParams.out (faiss's D and I): the search writes into the caller's arrays. The oracle is the same search
 * into fresh arrays, byte for byte; the out arrays start full of garbage, so an entry the search leaves unwritten
 * (padding, a row with fewer than k results) shows.
 */

const D = 32;
const base = structuredData(3000, D, 1);
const queries = structuredData(40, D, 2);

function built(factory: string, n = base.rows): Index {
  const index = indexFactory(D, factory, 'l2', 'js');
  index.trainSync(base, { seed: 5 });
  index.addSync({ rows: n, dim: D, data: base.data.subarray(0, n * D) });
  return index;
}

function garbageOut(cells: number): SearchOutput {
  const out = { distances: new Float32Array(cells), labels: new Float64Array(cells) };
  for (let i = 0; i < cells; i++) {
    out.distances[i] = 12345.5 + i;
    out.labels[i] = 777_000 + i;
  }
  return out;
}

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

afterAll(async () => {
  await closeThreadPool();
});

describe('SearchParams.out: results written into the caller\'s arrays', () => {
  const factories = ['Flat', 'PQ8x8', 'PQ8x4fs', 'IVF16,Flat', 'IVF16,PQ8x8', 'IVF16,PQ8x4fs', 'IVF16,PQ8x4fsr', 'OPQ8,IVF16,PQ8x4fs'];
  it.each(factories)('%s: sync at 1 and 2 threads and async, the same bytes as fresh arrays, returned in out', async (factory) => {
    const index = built(factory);
    for (const k of [1, 10]) {
      for (const threads of [1, 2]) {
        const params = { k, nprobe: 3, threads };
        const fresh = index.searchSync(queries, params);
        const out = garbageOut(queries.rows * k);
        const r = index.searchSync(queries, { ...params, out });
        expect(r.distances).toBe(out.distances);
        expect(r.labels).toBe(out.labels);
        expect(same(out.distances, fresh.distances), `${factory} k=${k} threads=${threads} distances`).toBe(true);
        expect(same(out.labels, fresh.labels), `${factory} k=${k} threads=${threads} labels`).toBe(true);
        // The same arrays again, as a search loop reuses them.
        index.searchSync(queries, { ...params, out });
        expect(same(out.labels, fresh.labels)).toBe(true);
      }
      const out = garbageOut(queries.rows * k);
      const r = await index.search(queries, { k, nprobe: 3, threads: 2, out });
      expect(r.labels).toBe(out.labels);
      expect(same(out.labels, index.searchSync(queries, { k, nprobe: 3 }).labels)).toBe(true);
    }
  });

  it('Flat into out, 1 and 2 threads, sync and async: the float64 brute force\'s neighbours and distances', async () => {
    const index = built('Flat');
    const k = 10;
    const truth = refKnn(queries, base, k, 'l2');
    const check = (out: SearchOutput) => {
      for (let i = 0; i < queries.rows; i++) {
        const got = new Set(Array.from(out.labels.subarray(i * k, (i + 1) * k)));
        const want = Array.from(truth.labels.subarray(i * k, (i + 1) * k));
        expect(want.filter((id) => got.has(id)).length, `query ${i}`).toBe(k);
        for (let r = 0; r < k; r++) expect(Math.abs(out.distances[i * k + r] - truth.scores[i * k + r])).toBeLessThan(1e-4 * (1 + truth.scores[i * k + r]));
      }
    };
    for (const threads of [1, 2]) {
      const out = garbageOut(queries.rows * k);
      index.searchSync(queries, { k, threads, out });
      check(out);
    }
    const out = garbageOut(queries.rows * k);
    await index.search(queries, { k, threads: 2, out });
    check(out);
  });

  it.each(['Flat', 'IVF16,PQ8x8', 'IVF16,PQ8x4fs'])('%s: k beyond what the index holds pads out as a fresh search does', (factory) => {
    const index = built(factory, 300);
    for (const k of [299, 300, 301, 420]) {
      const fresh = index.searchSync(queries, { k, nprobe: 16 });
      const out = garbageOut(queries.rows * k);
      index.searchSync(queries, { k, nprobe: 16, out });
      expect(same(out.distances, fresh.distances), `k=${k} distances`).toBe(true);
      expect(same(out.labels, fresh.labels), `k=${k} labels`).toBe(true);
      if (k > 300) expect(fresh.labels[k - 1]).toBe(-1);
    }
  });

  it('bad out arrays get an error naming the field and what was expected', () => {
    const index = built('IVF16,PQ8x4fs');
    const cells = queries.rows * 5;
    const bad = (out: unknown) => () => index.searchSync(queries, { k: 5, out: out as SearchOutput });
    expect(bad({ distances: new Float32Array(cells - 1), labels: new Float64Array(cells) })).toThrow(/out\.distances: expected a Float32Array of 40 queries × k = 5 = 200 entries, got Float32Array\(199\)/);
    expect(bad({ distances: new Float32Array(cells), labels: new Float32Array(cells) })).toThrow(/out\.labels: expected a Float64Array of 40 queries × k = 5 = 200 entries, got Float32Array\(200\)/);
    expect(bad({ distances: new Float32Array(cells), labels: new BigInt64Array(cells) })).toThrow(LibvqError);
    expect(bad(7)).toThrow(/search out: expected \{ distances: Float32Array\(200\), labels: Float64Array\(200\) \}, got 7/);
    const shared = new ArrayBuffer(cells * 12);
    expect(bad({ distances: new Float32Array(shared, 0, cells), labels: new Float64Array(shared, 0, cells) })).toThrow(/distances and labels share memory/);
    const withQueries = new Float32Array(queries.data.length + cells);
    withQueries.set(queries.data);
    const q = { rows: queries.rows, dim: D, data: withQueries.subarray(0, queries.data.length) };
    expect(() => index.searchSync(q, { k: 5, out: { distances: withQueries.subarray(queries.data.length - 1, queries.data.length - 1 + cells), labels: new Float64Array(cells) } })).toThrow(/out\.distances shares memory with the queries/);
    // Apart from the queries in the same buffer: accepted.
    const r = index.searchSync(q, { k: 5, out: { distances: withQueries.subarray(queries.data.length), labels: new Float64Array(cells) } });
    expect(same(r.labels, index.searchSync(queries, { k: 5 }).labels)).toBe(true);
  });
});
