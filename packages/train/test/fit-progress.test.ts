import { describe, expect, it } from 'vitest';
import { LearnableIndex } from '../src/index.js';
import { clustered } from './fixtures.js';

// Progress carries a stage name (LongOperationOptions): building the index reports index-core's training stages,
// fit reports its steps over all epochs as the one stage 'fit'.
describe('LearnableIndex progress stages', () => {
  const { docs, queries } = clustered(3, 300, 40, 8);

  it("create reports the index's training stages; fit reports its virtual labels as 'labels' and counts its steps as 'fit'", () => {
    const created: (string | undefined)[] = [];
    const li = LearnableIndex.create({
      docEmbeddings: docs, indexMethod: 'ivf_opq', ivfCentersNum: 4, subvectorNum: 2, subvectorBits: 4, seed: 1,
      onProgress: (_d, _t, stage) => created.push(stage),
    });
    // the PQ sample's assignment to the lists has its own stage, and so do the adds
    expect([...new Set(created)]).toEqual(['opq', 'ivf', 'assign', 'pq', 'add']);
    const seen: [string | undefined, number, number][] = [];
    li.fitSync({
      queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 2, seed: 2,
      onProgress: (done, total, stage) => seen.push([stage, done, total]),
    });
    // the virtual labels first (queries labelled), then 40 queries in batches of 16: 3 steps an epoch, 2 epochs
    expect(seen).toEqual([['labels', 40, 40], ...[1, 2, 3, 4, 5, 6].map((s) => ['fit', s, 6])]);
  });
});
