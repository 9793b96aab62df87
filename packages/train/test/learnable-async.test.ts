import { serializeIndex } from '@libvq/index-core';
import { describe, expect, it } from 'vitest';
import { LearnableIndex } from '../src/index.js';
import { clustered } from './fixtures.js';

// fit / add / search have asynchronous forms that give the event loop turns while they work; they must give the
// bytes of fitSync / addSync / searchSync (which the other tests check against finite differences and LibVQ).
describe('LearnableIndex asynchronous forms', () => {
  const { docs, queries } = clustered(5, 400, 60, 16);
  const create = () => LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_opq', ivfCentersNum: 8, subvectorNum: 4, subvectorBits: 4, seed: 1 });
  const fitOptions = { queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 3, batchSize: 8, perQueryNegNum: 4, seed: 2 } as const;
  const bytes = (li: LearnableIndex) => Buffer.from(serializeIndex(li.index));

  it('fit (with the re-encoding write-back), add and search give the bytes of the synchronous forms', async () => {
    const a = create();
    const ra = a.fitSync({ ...fitOptions, writeBack: 'reencode' });
    const b = create();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const rb = await b.fit({ ...fitOptions, writeBack: 'reencode' });
    clearInterval(timer);
    expect(rb.epochLoss).toEqual(ra.epochLoss);
    expect(bytes(b).equals(bytes(a))).toBe(true);
    // fit yields at least every ~10 ms: a run of this length gives the timer turns.
    if (rb.seconds > 0.1) expect(ticks).toBeGreaterThan(0);
    a.addSync(queries);
    await b.add(queries);
    expect(bytes(b).equals(bytes(a))).toBe(true);
    const sa = a.searchSync(queries, { k: 7, nprobe: 3 });
    const sb = await b.search(queries, { k: 7, nprobe: 3 });
    expect(Array.from(sb.labels)).toEqual(Array.from(sa.labels));
    expect(Array.from(sb.distances)).toEqual(Array.from(sa.distances));
  });

  it('create takes the documents as Float32Array[] rows too (any VectorsInput): the same index', () => {
    const rows = Array.from({ length: docs.rows }, (_, i) => docs.data.slice(i * docs.dim, (i + 1) * docs.dim));
    const fromRows = LearnableIndex.create({ docEmbeddings: rows, indexMethod: 'ivf_opq', ivfCentersNum: 8, subvectorNum: 4, subvectorBits: 4, seed: 1 });
    expect(bytes(fromRows).equals(bytes(create()))).toBe(true);
    expect(() => LearnableIndex.create({ docEmbeddings: [new Float32Array(3), new Float32Array(4)], indexMethod: 'pq', subvectorNum: 1 })).toThrow(/docEmbeddings\[1\]/);
  });
});
