import { describe, expect, it } from 'vitest';
import { addBatches, indexFactory, serializeIndex, type Matrix } from '../src/index.js';
import { sliceRows } from '../src/util.js';
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
