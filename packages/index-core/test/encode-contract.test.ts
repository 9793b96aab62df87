/**
 * The encode / add-encoded contract every index offers (faiss's sa_encode / add_sa_codes): encode(x) is exactly
 * what add(x) stores, addEncoded stores it (in this index or in a copy), readEntries gives it back, parameters()
 * are views of the index's storage whose in-place writes parametersChanged() publishes, and cloneEmpty() is an
 * independent copy. The oracle is the index's own add / search and its faiss file bytes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Index, closeThreadPool, indexFactory, serializeIndex } from '../src/index.js';
import { structuredData } from './helpers/data.js';

afterAll(() => closeThreadPool());

const d = 32;
const train = structuredData(1000, d, 11);
const base = structuredData(700, d, 12);
const queries = structuredData(25, d, 13);
const FACTORIES = ['Flat', 'PQ8', 'IVF16,Flat', 'IVF16,PQ8', 'OPQ8,PQ8', 'OPQ8,IVF16,PQ8'];

const trainedOnce = new Map<string, Index>();

/** A trained, empty index of the kind: a copy of one trained once per kind and metric (training is the slow part). */
function trained(desc: string, metric: 'l2' | 'ip'): Index {
  const key = `${desc} ${metric}`;
  let idx = trainedOnce.get(key);
  if (!idx) {
    idx = indexFactory(d, desc, metric);
    idx.trainSync(train, { seed: 5 });
    trainedOnce.set(key, idx);
  }
  return idx.cloneEmpty();
}

describe.each(FACTORIES)('%s', (desc) => {
  for (const metric of ['l2', 'ip'] as const) {
    it(`${metric}: addEncoded(encode(x)) stores exactly what add(x) stores; readEntries gives it back`, () => {
      const a = trained(desc, metric);
      a.addSync(base);
      const b = a.cloneEmpty();
      expect(b.ntotal).toBe(0);
      const e = b.encode(base);
      expect(e.rows).toBe(base.rows);
      expect(e.codes.length).toBe(base.rows * b.codeSize);
      expect(e.lists !== undefined).toBe(desc.includes('IVF'));
      b.addEncoded(e);
      expect(Buffer.from(serializeIndex(b)).equals(Buffer.from(serializeIndex(a)))).toBe(true);

      // the stored entries, re-added to another copy under their ids, search the same
      const entries = a.readEntries();
      expect(entries.rows).toBe(base.rows);
      expect(Array.from(entries.ids).sort((x, y) => x - y)).toEqual(Array.from({ length: base.rows }, (_, i) => i));
      const c = a.cloneEmpty();
      c.addEncoded(entries, desc.includes('IVF') ? Int32Array.from(entries.ids) : undefined);
      const ra = a.searchSync(queries, { k: 7, nprobe: 4 });
      const rc = c.searchSync(queries, { k: 7, nprobe: 4 });
      expect(rc.labels).toEqual(ra.labels);
      expect(rc.distances).toEqual(ra.distances);
      expect(a.readEntries({ codes: false }).codes.length).toBe(0);
    });
  }

  it('cloneEmpty is independent: writing its parameters leaves the original untouched', () => {
    const a = trained(desc, 'l2');
    a.addSync(base);
    const before = a.searchSync(queries, { k: 5, nprobe: 4 });
    const c = a.cloneEmpty();
    const p = c.parameters();
    p.codebooks?.data.fill(0);
    p.centroids?.data.fill(0);
    for (const t of p.transforms) t.matrix.fill(0);
    c.parametersChanged();
    const after = a.searchSync(queries, { k: 5, nprobe: 4 });
    expect(after.labels).toEqual(before.labels);
    expect(after.distances).toEqual(before.distances);
  });
});

describe('parameters() and parametersChanged()', () => {
  it('describe each kind: transforms, centroids, codebooks, storage', () => {
    const p = trained('OPQ8,IVF16,PQ8', 'ip').parameters();
    expect(p.transforms.map((t) => [t.kind, t.dIn, t.dOut, t.matrix.length])).toEqual([['opq', d, d, d * d]]);
    expect([p.centroids?.rows, p.centroids?.dim]).toEqual([16, d]);
    expect(p.codebooks && [p.codebooks.M, p.codebooks.nbits, p.codebooks.ksub, p.codebooks.dsub]).toEqual([8, 8, 256, 4]);
    expect(p.storage).toBe('pq');
    expect(trained('IVF16,Flat', 'l2').parameters()).toMatchObject({ transforms: [], storage: 'vectors' });
    expect(trained('Flat', 'l2').parameters()).toEqual({ transforms: [], storage: 'vectors' });
  });

  it('an in-place write published by parametersChanged reaches single-thread and threaded searches alike (l2 IVF-PQ tables)', () => {
    const idx = trained('IVF16,PQ8', 'l2');
    idx.addSync(base);
    idx.searchSync(queries, { k: 5, nprobe: 4 }); // fills the per-list l2 tables
    idx.searchSync(queries, { k: 5, nprobe: 4, threads: 2 }); // and a worker snapshot
    const p = idx.parameters();
    for (let i = 0; i < p.codebooks!.data.length; i += 3) p.codebooks!.data[i] *= 1.5;
    p.centroids!.data[0] += 1;
    idx.parametersChanged();
    const single = idx.searchSync(queries, { k: 5, nprobe: 4 });
    const threaded = idx.searchSync(queries, { k: 5, nprobe: 4, threads: 2 });
    expect(threaded.distances).toEqual(single.distances);
    // the oracle: a fresh index holding the changed parameters and the same entries
    const fresh = idx.cloneEmpty();
    fresh.addEncoded(idx.readEntries(), Int32Array.from(idx.readEntries().ids));
    expect(fresh.searchSync(queries, { k: 5, nprobe: 4 }).distances).toEqual(single.distances);
  });
});

describe('addEncoded refuses entries that do not fit', () => {
  it('names the mismatch', () => {
    const ivf = trained('IVF16,PQ8', 'l2');
    const e = ivf.encode(base);
    expect(() => ivf.addEncoded({ rows: 3, codes: e.codes.subarray(0, 3 * 8) })).toThrow(/lists: expected an Int32Array of 3 list numbers/);
    expect(() => ivf.addEncoded({ rows: 3, codes: e.codes.subarray(0, 20), lists: new Int32Array(3) })).toThrow(/20 code bytes for 3 entries of 8 bytes/);
    expect(() => ivf.addEncoded({ rows: 1, codes: e.codes.subarray(0, 8), lists: Int32Array.of(16) })).toThrow(/lists\[0\]: expected a list number from 0 to 15/);
    expect(() => ivf.addEncoded({ rows: 2, codes: e.codes.subarray(0, 16), lists: new Int32Array(2) }, Int32Array.of(1))).toThrow(/1 ids for 2 entries/);
    const pq = trained('PQ8', 'l2');
    expect(() => pq.addEncoded({ rows: 1, codes: new Uint8Array(8), lists: new Int32Array(1) })).toThrow(/lists: expected absent/);
    expect(() => indexFactory(d, 'PQ8', 'l2').addEncoded({ rows: 1, codes: new Uint8Array(8) })).toThrow(/not trained/);
    expect(ivf.ntotal + pq.ntotal).toBe(0);
  });
});
