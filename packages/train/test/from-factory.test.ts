import { describe, expect, it } from 'vitest';
import { describeIndex, serializeIndex, type Matrix } from '@libvq/index-core';
import { normalizeRows } from '@libvq/index-core/util';
import { LearnableIndex } from '../src/index.js';
import { clustered } from './fixtures.js';

/*
 * LearnableIndex.fromFactory takes faiss's names; create() takes LibVQ's and maps them (the one place they meet).
 * 'cosine' is an L2norm transform before an ip index; training sees normalised embeddings.
 */

const d = 16;
const { docs: unit, queries: unitQ } = clustered(7, 400, 80, d);
/** The fixture's unit vectors scaled row by row (0.1 to 10): cosine and inner product rank them differently. */
const scaled = (m: Matrix): Matrix => ({ ...m, data: m.data.map((v, i) => v * 10 ** ((Math.floor(i / d) % 3) - 1)) });
const docs = scaled(unit);
const queries = scaled(unitQ);
const fit = { relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 3, temperature: 0.2, lr: { codebooks: 3e-3, rotation: 1e-3 }, seed: 5 };

describe('LearnableIndex.fromFactory and create', () => {
  it("create's LibVQ names build the index fromFactory builds from the factory string they name", () => {
    for (const [libvq, factory, metrics] of [
      [{ indexMethod: 'opq', subvectorNum: 4, subvectorBits: 6 }, 'OPQ4,PQ4x6', ['ip', 'cosine']],
      [{ indexMethod: 'ivf_opq', ivfCentersNum: 4, subvectorNum: 4, subvectorBits: 4 }, 'OPQ4,IVF4,PQ4x4', ['l2']],
      [{ indexMethod: 'ivf', ivfCentersNum: 8 }, 'IVF8,Flat', ['ip', 'l2', 'cosine']],
    ] as const) {
      for (const metric of metrics) {
        const a = LearnableIndex.create({ docEmbeddings: docs, ...libvq, distMode: metric, seed: 3 });
        const b = LearnableIndex.fromFactory({ docEmbeddings: docs, factory, metric, seed: 3 });
        expect(Buffer.from(serializeIndex(a.index)).equals(Buffer.from(serializeIndex(b.index))), `${factory} ${metric}`).toBe(true);
        expect(a.describe()).toBe(metric === 'cosine' ? `L2norm,${factory}` : factory);
      }
    }
    expect(LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'PQ4' }).index.metric).toBe('ip'); // the default
  });

  it("'cosine' trains as 'ip' on embeddings normalised beforehand: the same codebooks, rotation and rankings", async () => {
    const cos = LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'OPQ4,PQ4x6', metric: 'cosine', seed: 3 });
    const repCos = cos.fitSync({ ...fit, queryEmbeddings: queries, docEmbeddings: docs });
    const n = (m: Matrix): Matrix => normalizeRows({ ...m, data: m.data.slice() });
    const ip = LearnableIndex.fromFactory({ docEmbeddings: n(docs), factory: 'OPQ4,PQ4x6', metric: 'ip', seed: 3 });
    const repIp = ip.fitSync({ ...fit, queryEmbeddings: n(queries), docEmbeddings: n(docs) });
    expect(repCos.epochLoss).toEqual(repIp.epochLoss);
    expect(Array.from(cos.parts.codebooks!.data)).toEqual(Array.from(ip.parts.codebooks!.data));
    expect(Array.from(cos.parts.rotation!)).toEqual(Array.from(ip.parts.rotation!));
    expect(cos.parts.normalized).toBe(true);
    expect(describeIndex(cos.index)).toBe('L2norm,OPQ4,PQ4x6');
    // Searched with raw queries, the cosine index answers what the ip index answers for normalised ones.
    expect(Array.from(cos.searchSync(queries, { k: 10 }).labels)).toEqual(Array.from(ip.searchSync(n(queries), { k: 10 }).labels));
    // The asynchronous fit normalises too: the same codebooks as fitSync.
    const cosAsync = LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'OPQ4,PQ4x6', metric: 'cosine', seed: 3 });
    await cosAsync.fit({ ...fit, queryEmbeddings: queries, docEmbeddings: docs });
    expect(Array.from(cosAsync.parts.codebooks!.data)).toEqual(Array.from(cos.parts.codebooks!.data));
    // Saved and loaded, it is the same learnable index.
    const again = LearnableIndex.fromCheckpoint({ index: cos.index, placer: cos.placer, parts: cos.parts });
    expect(again.parts.normalized).toBe(true);
  });

  it('refuses what it cannot train, naming the parameter', () => {
    expect(() => LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'Flat' })).toThrow(/factory: expected a learnable index .*got "Flat"/);
    expect(() => LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'OPQ4,IVF4,Flat' })).toThrow(/OPQ,IVF,Flat has no LibVQ method/);
    expect(() => LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 4, distMode: 'dot' as never })).toThrow(/distMode: expected 'ip', 'l2' or 'cosine', got "dot"/);
    expect(() => LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'PQ4', metric: 'dot' as never })).toThrow(/metric: expected 'ip', 'l2' or 'cosine', got "dot"/);
  });
});
