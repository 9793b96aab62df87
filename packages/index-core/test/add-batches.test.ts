import { describe, expect, it } from 'vitest';
import { addBatches, indexFactory, serializeIndex, type Matrix } from '../src/index.js';
import { sliceRows } from '../src/util.js';
import { addHold } from '../src/indexes/held-encoded.js';
import { structuredData } from './helpers/data.js';

/** addBatches against one add() of every row as the oracle: the same index bytes, progress to the total. */
describe('addBatches', () => {
  const x = structuredData(1000, 8, 12);
  async function* batches(m: Matrix, size: number) {
    for (let r = 0; r < m.rows; r += size) yield { start: r, matrix: sliceRows(m, r, Math.min(m.rows, r + size)) };
  }

  it.each(['IVF8,PQ4x8', 'Flat', 'OPQ4,IVF4,PQ4x4'])('%s: batches of 1, 33 and 5000 rows give the bytes of one add', async (factory) => {
    const whole = indexFactory(8, factory, 'l2');
    whole.trainSync(x, { seed: 3 });
    whole.addSync(x);
    const want = serializeIndex(whole);
    for (const size of [1, 33, 5000]) {
      const index = indexFactory(8, factory, 'l2');
      index.trainSync(x, { seed: 3 });
      const seen: number[] = [];
      const n = await addBatches(index, batches(x, size), { total: x.rows, onProgress: (d, t) => (expect(t).toBe(1000), seen.push(d)) });
      expect(n).toBe(1000);
      expect(seen[seen.length - 1]).toBe(1000);
      expect(Buffer.from(serializeIndex(index)).equals(Buffer.from(want))).toBe(true);
    }
  });

  it('stops at an aborted signal between batches', async () => {
    const index = indexFactory(8, 'Flat', 'l2');
    const ac = new AbortController();
    ac.abort();
    await expect(addBatches(index, batches(x, 100), { signal: ac.signal })).rejects.toThrow(/addBatches was aborted/);
  });
});

/**
 * An add holds encoded batches and appends them when they fill addHold.bytes: once at the default, once per batch
 * of 65,536 rows at the lowest hold; addSync in IndexIVF, the asynchronous add (encoded on workers) for every kind.
 * Oracle: the same rows added by separate addSync() calls of 10,000 rows (each appends at its end) with the same
 * ids; the index bytes must be equal.
 */
describe('add appends held batches', () => {
  const n = 150_000;
  const x = structuredData(n, 4, 21);
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) ids[i] = (i * 7919) % n + 1_000_000;
  const build = async (factory: string, add: (index: ReturnType<typeof indexFactory>) => unknown) => {
    const index = indexFactory(4, factory, 'l2');
    index.trainSync(sliceRows(x, 0, 2000), { seed: 5 });
    await add(index);
    return Buffer.from(serializeIndex(index));
  };
  const held = addHold.bytes;

  it.each(['IVF4,PQ2x8', 'IVF4,PQ2x4fs', 'PQ2x8'])('%s: the same index whether appended once, per batch or per add call', async (factory) => {
    const want = await build(factory, (index) => {
      for (let r = 0; r < n; r += 10_000) index.addSync(sliceRows(x, r, r + 10_000), ids.subarray(r, r + 10_000));
    });
    try {
      for (const bytes of [held, 1]) {
        addHold.bytes = bytes;
        expect((await build(factory, (index) => index.addSync(x, ids))).equals(want)).toBe(true);
        expect((await build(factory, (index) => index.addWithIds(x, ids))).equals(want)).toBe(true);
      }
      // Ids run on from ntotal when none are given: the second add's rows after the first's.
      const implicit = await build(factory, async (index) => {
        await index.add(sliceRows(x, 0, 70_000));
        index.addSync(sliceRows(x, 70_000, n));
      });
      addHold.bytes = held;
      expect(implicit.equals(await build(factory, (index) => index.addSync(x)))).toBe(true);
    } finally {
      addHold.bytes = held;
    }
  });

  it('an aborted asynchronous add keeps the rows encoded before the abort, as one add of them would', async () => {
    for (const bytes of [held, 1]) {
      addHold.bytes = bytes;
      try {
        const ac = new AbortController();
        const index = indexFactory(4, 'IVF4,PQ2x8', 'l2');
        index.trainSync(sliceRows(x, 0, 2000), { seed: 5 });
        await expect(index.add(x, { signal: ac.signal, onProgress: (done) => done >= 65_536 && ac.abort() })).rejects.toThrow(/aborted/);
        expect(index.ntotal).toBe(65_536);
        const want = await build('IVF4,PQ2x8', (i) => i.addSync(sliceRows(x, 0, 65_536)));
        expect(Buffer.from(serializeIndex(index)).equals(want)).toBe(true);
      } finally {
        addHold.bytes = held;
      }
    }
  });
});
