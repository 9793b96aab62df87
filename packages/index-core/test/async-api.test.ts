import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LibvqError, SearchResult, indexFactory, readIndex, serializeIndex, writeIndex, type Index, type Metric } from '../src/index.js';
import { sliceRows } from '../src/util.js';
import { structuredData } from './helpers/data.js';

/*
 * The asynchronous forms against the synchronous ones, which every other test checks against faiss and brute
 * force: train, add and search on worker threads must give the same bytes as trainSync / addSync / searchSync,
 * for every index kind, with 1 and 2 threads, and leave the event loop running while they work.
 */

const D = 16;
const xt = structuredData(4000, D, 1);
const xb = structuredData(6000, D, 2);
const xq = structuredData(300, D, 3);
const KINDS: [string, Metric][] = [
  ['Flat', 'ip'], ['PQ4x8', 'l2'], ['IVF32,Flat', 'ip'], ['IVF32,PQ8x6', 'l2'], ['OPQ4,IVF16,PQ4x8', 'ip'], ['OPQ8,PQ8x4', 'l2'],
];

function build(desc: string, metric: Metric): Index {
  const index = indexFactory(D, desc, metric, undefined, { opq: { niter: 4 } });
  index.nprobe = 8;
  return index;
}

const bytesOf = (index: Index) => Buffer.from(serializeIndex(index));
const sameResult = (a: SearchResult, b: SearchResult) => {
  expect(Buffer.compare(Buffer.from(a.distances.buffer, a.distances.byteOffset, a.distances.byteLength), Buffer.from(b.distances.buffer, b.distances.byteOffset, b.distances.byteLength))).toBe(0);
  expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
};

describe('asynchronous index operations', () => {
  for (const [desc, metric] of KINDS) {
    it(`${desc} ${metric}: train, add and search give the bytes of the synchronous forms (1 and 2 threads)`, async () => {
      const sync = build(desc, metric);
      sync.trainSync(xt, { seed: 5 });
      sync.addSync(xb);
      const asyncIndex = build(desc, metric);
      await asyncIndex.train(xt, { seed: 5 });
      expect(asyncIndex.isTrained).toBe(true);
      await asyncIndex.add(sliceRows(xb, 0, 2500));
      await asyncIndex.add(sliceRows(xb, 2500, xb.rows));
      expect(bytesOf(asyncIndex).equals(bytesOf(sync))).toBe(true);
      const ref = sync.searchSync(xq, { k: 10 });
      for (const threads of [1, 2]) sameResult(await asyncIndex.search(xq, { k: 10, threads }), ref);
    });
  }

  it('overlapping searches on one index each get their own results', async () => {
    const index = build('IVF32,PQ8x6', 'ip');
    index.trainSync(xt, { seed: 1 });
    index.addSync(xb);
    const parts = [sliceRows(xq, 0, 100), sliceRows(xq, 100, 250), sliceRows(xq, 250, 300)];
    const got = await Promise.all(parts.map((q, i) => index.search(q, { k: 5 + i, threads: 2 })));
    parts.forEach((q, i) => sameResult(got[i], index.searchSync(q, { k: 5 + i })));
  });

  it('the event loop runs while a search works on the workers', async () => {
    const index = build('Flat', 'l2');
    index.addSync(structuredData(40_000, D, 9));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const q = structuredData(2000, D, 10);
    const t0 = performance.now();
    const r = await index.search(q, { k: 10 });
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(r.rows).toBe(2000);
    // A search done on the calling thread would let no timer fire before it returns.
    if (ms > 20) expect(ticks).toBeGreaterThan(0);
  });

  it('asynchronous training reports its named stages and honours an abort', async () => {
    const stages = new Set<string | undefined>();
    const index = build('OPQ4,IVF16,PQ4x8', 'ip');
    await index.train(xt, { seed: 2, onProgress: (_d, _t, stage) => stages.add(stage) });
    // The oracle: the stages the synchronous training reports (opq, ivf, assign, pq, ...). The worker's reports are
    // polled, so the asynchronous side may see fewer of them, never others.
    const syncStages = new Set<string | undefined>();
    build('OPQ4,IVF16,PQ4x8', 'ip').trainSync(xt, { seed: 2, onProgress: (_d, _t, stage) => syncStages.add(stage) });
    expect([...stages].filter((s) => !syncStages.has(s))).toEqual([]);
    expect(stages.size).toBeGreaterThan(0);
    const ac = new AbortController();
    ac.abort();
    const err = await build('IVF32,PQ8x6', 'l2').train(xt, { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvqError);
    expect((err as LibvqError).code).toBe('ABORTED');
  });

  it('the asynchronous forms check their inputs as the synchronous ones do', async () => {
    const bad = structuredData(3, D, 4);
    bad.data[D + 2] = Number.NaN;
    for (const [desc, metric] of [['OPQ4,IVF16,PQ4x8', 'ip'], ['IVF32,Flat', 'l2']] as const) {
      const index = build(desc, metric);
      await expect(index.add(xb)).rejects.toMatchObject({ code: 'NOT_TRAINED' });
      await index.train(xt, { seed: 1 });
      await expect(index.add(bad)).rejects.toThrow(/add vectors: row 1, component 2 is NaN/);
      await expect(index.search(bad, { k: 3 })).rejects.toThrow(/search queries: row 1, component 2 is NaN/);
      await expect(index.train(bad)).rejects.toThrow(/train vectors: row 1, component 2 is NaN/);
      await expect(index.search(xq, { k: 0 })).rejects.toThrow(/k: expected an integer ≥ 1/);
      // A wrong shape is a rejected promise too, never a synchronous throw.
      const wrong = index.add(new Float32Array(D + 1));
      await expect(wrong).rejects.toThrow(/one Float32Array is one vector/);
    }
  });

  it('readIndex / writeIndex round-trip the bytes of the synchronous forms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libvq-async-io-'));
    try {
      const index = build('IVF32,PQ8x6', 'l2');
      await index.train(xt, { seed: 3 });
      await index.add(xb);
      await writeIndex(index, join(dir, 'a.faiss'));
      const back = await readIndex(join(dir, 'a.faiss'));
      expect(bytesOf(back).equals(bytesOf(index))).toBe(true);
      await expect(readIndex(join(dir, 'missing.faiss'))).rejects.toThrow(/missing\.faiss: cannot read the index file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('search results and vector inputs', () => {
  const index = build('Flat', 'ip');
  index.addSync(sliceRows(xb, 0, 50));

  it('toArray gives each query its {id, score} list, best first, padding left out; JSON.stringify works', () => {
    const r = index.searchSync(sliceRows(xq, 0, 3), { k: 60 });
    const rows = r.toArray();
    expect(rows).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(rows[i]).toHaveLength(50);
      rows[i].forEach((n, j) => {
        expect(n.id).toBe(r.labels[i * 60 + j]);
        expect(n.score).toBe(r.distances[i * 60 + j]);
      });
      expect(r.labels[i * 60 + 50]).toBe(-1);
    }
    const json = JSON.parse(JSON.stringify(r)) as { k: number; labels: number[] };
    expect(json.k).toBe(60);
    expect(json.labels.slice(0, 50)).toEqual(Array.from(r.labels.subarray(0, 50)));
  });

  it('one Float32Array is one query; Float32Array[] rows are a matrix', async () => {
    const q0 = xq.data.slice(0, D);
    const ref = index.searchSync(sliceRows(xq, 0, 1), { k: 5 });
    sameResult(index.searchSync(q0, { k: 5 }), ref);
    sameResult(await index.search(q0, { k: 5 }), ref);
    const rows = [0, 1, 2].map((i) => xq.data.slice(i * D, (i + 1) * D));
    sameResult(index.searchSync(rows, { k: 5 }), index.searchSync(sliceRows(xq, 0, 3), { k: 5 }));
    expect(() => index.searchSync(new Float32Array(D + 1), { k: 1 })).toThrow(/IndexFlat\.search queries/);
  });
});

afterAll(async () => {
  const { closeThreadPool } = await import('../src/index.js');
  await closeThreadPool();
});
