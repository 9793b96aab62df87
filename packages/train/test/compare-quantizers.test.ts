import { describe, expect, it } from 'vitest';
import { IndexFlat } from '@libvq/index-core';
import { sliceRows } from '@libvq/index-core/util';
import { evaluateRanking } from '@libvq/dataset';
import { LearnableIndex, compareQuantizers } from '../src/index.js';
import { clustered } from './fixtures.js';

const d = 16;
const { docs, queries } = clustered(9, 600, 160, d);
const trainQueries = sliceRows(queries, 0, 120);
const devQueries = sliceRows(queries, 120, 160);
// Each dev query's judged document: its exact nearest by inner product (a float32 brute force).
const flat = new IndexFlat(d, 'ip');
flat.addSync(docs);
const top1 = flat.searchSync(devQueries, { k: 1 }).labels;
const devRels = new Map(Array.from(top1, (doc, q) => [q, new Map([[Number(doc), 1]])] as const));

describe('compareQuantizers with a budget that does not divide d', () => {
  it('3 B on 16-d: OPQ3_15 rows (no plain PQ row), behind an IVF too, scored like the index they name', async () => {
    const rows = await compareQuantizers(
      { docs, trainQueries, devQueries, devRels },
      { bytes: [3, 4], methods: ['pq', 'opq', 'distill-index'], epochs: 1, ivf: { nlist: 8, nprobe: 8 }, opq: { niter: 4 } },
    );
    expect(rows.map((r) => `${r.bytes} ${r.method}`)).toEqual([
      '64 dense (exact)',
      '3 OPQ3_15,IVF8,PQ3x8',
      '3 IVF8: distill index-only (virtual labels, keep)',
      '4 IVF8,PQ4x8',
      '4 OPQ4,IVF8,PQ4x8',
      '4 IVF8: distill index-only (virtual labels, keep)',
    ]);
    // The OPQ row is the index its label names, built on its own and scored on the same judgments.
    const own = LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'OPQ3_15,IVF8,PQ3x8', metric: 'ip', seed: 1, opq: { niter: 4 } });
    const e = evaluateRanking({ labels: own.searchSync(devQueries, { k: 100, nprobe: 8 }).labels, k: 100 }, devRels, { mrr: [10], recall: [100] });
    expect(rows[1].mrr10).toBe(e.mrr[10]);
    expect(rows[1].recall100).toBe(e.recall[100]);
    for (const r of rows) expect(Number.isFinite(r.mrr10) && r.mrr10 > 0).toBe(true);
  });

  it('refuses a budget above d, naming the parameter', async () => {
    await expect(compareQuantizers({ docs, trainQueries, devQueries, devRels }, { bytes: [17], methods: ['opq'], epochs: 1 })).rejects.toThrow(/bytes.*from 1 to the dimension 16/);
  });
});
