import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVectors } from '@libvq/dataset';
import { writeNpy } from '@libvq/dataset/formats';
import { serializeIndex } from '@libvq/index-core';
import { LearnableIndex } from '../src/index.js';
import { clustered } from './fixtures.js';

// LearnableIndex.createFromSource builds from a corpus read batch by batch (issue 11: the library accepts streamed
// corpora where it reads them). Oracle: create() on the whole matrix.
const dir = mkdtempSync(join(tmpdir(), 'libvq-from-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { docs } = clustered(5, 700, 10, 16);
const path = join(dir, 'docs.npy');

describe('LearnableIndex.createFromSource', () => {
  it('with a training sample as large as the corpus, equals create() byte for byte (added 64 rows at a time)', async () => {
    await writeNpy(path, docs);
    for (const indexMethod of ['ivf_opq', 'pq', 'ivf'] as const) {
      const o = { indexMethod, ivfCentersNum: 8, subvectorNum: 4, subvectorBits: 8, distMode: 'ip' as const, seed: 3 };
      const src = await openVectors(path);
      try {
        const streamed = await LearnableIndex.createFromSource(src, { ...o, trainSize: docs.rows, batchRows: 64 });
        const whole = LearnableIndex.create({ ...o, docEmbeddings: docs });
        expect(streamed.ntotal).toBe(docs.rows);
        expect(Buffer.from(serializeIndex(streamed.index)).equals(Buffer.from(serializeIndex(whole.index)))).toBe(true);
      } finally {
        await src.close();
      }
    }
  });

  it('trains on a seeded sample and still stores every document as rows 0..n-1', async () => {
    const src = await openVectors(path);
    try {
      const o = { indexMethod: 'ivf_pq' as const, ivfCentersNum: 8, subvectorNum: 4, subvectorBits: 8, seed: 3 };
      const a = await LearnableIndex.createFromSource(src, { ...o, trainSize: 400, batchRows: 100 });
      const b = await LearnableIndex.createFromSource(src, { ...o, trainSize: 400, batchRows: 33 });
      expect(a.ntotal).toBe(docs.rows);
      // Same seed, same sample, whatever the batch size: the same index.
      expect(Buffer.from(serializeIndex(a.index)).equals(Buffer.from(serializeIndex(b.index)))).toBe(true);
      const r = a.searchSync({ rows: 5, dim: 16, data: docs.data.subarray(0, 80) }, { k: 1, nprobe: 8 });
      expect(Array.from(r.labels, Number).every((l) => l >= 0 && l < docs.rows)).toBe(true);
      await expect(LearnableIndex.createFromSource(src, { ...o, trainSize: 0 })).rejects.toThrow(/trainSize/);
    } finally {
      await src.close();
    }
  });
});
