import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRowReader, writeNpy, type RowReader } from '@libvq/dataset/formats';
import { IndexFlat, serializeIndex, type Matrix, type Metric } from '@libvq/index-core';
import { createRng, gatherRows, normalizeRows, sampleWithoutReplacement } from '@libvq/index-core/util';
import { LearnableIndex, autoTemperature } from '../src/index.js';
import { docBlockRows, type DocumentRows } from '../src/learnable/doc-rows.js';
import { clustered } from './fixtures.js';

/*
 * Document embeddings read on demand (issue 13: training on a corpus that need not fit in memory): fit with a
 * file-backed row source (openRowReader over a .npy) gives the index, byte for byte, that fit with the whole
 * Matrix gives, and reads no more than a batch of documents (or one block) at a time.
 */
const dir = mkdtempSync(join(tmpdir(), 'libvq-doc-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { docs, queries } = clustered(21, 900, 70, 16);
const path = join(dir, 'docs.npy');
let reader: RowReader;
beforeAll(async () => {
  await writeNpy(path, docs);
  reader = await openRowReader(path);
});
afterAll(() => reader.close());

/** Today's 'auto' temperature (an IndexFlat over every document, one search), the oracle of the blocked one. */
function flatTemperature(metric: Metric, q: Matrix, x: Matrix, o: { depth?: number; sample?: number; seed?: number; queryDocIds?: ArrayLike<number> }): number {
  const depth = o.depth ?? 100;
  const own = o.queryDocIds;
  const rank = Math.min(depth, x.rows - (own ? 1 : 0));
  const n = Math.min(o.sample ?? 1000, q.rows);
  const rows = sampleWithoutReplacement(q.rows, n, createRng(o.seed ?? 1234));
  rows.sort();
  const flat = new IndexFlat(x.dim, metric);
  flat.addSync(x);
  const k = rank + (own ? 1 : 0);
  const r = flat.searchSync(gatherRows(q, rows), { k });
  const gaps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const skip = own ? own[rows[i]] : -1;
    let first = NaN;
    let seen = 0;
    for (let j = 0; j < k && seen < rank; j++) {
      if (Number(r.labels[i * k + j]) === skip) continue;
      const s = metric === 'ip' ? r.distances[i * k + j] : -r.distances[i * k + j];
      if (seen === 0) first = s;
      seen++;
      if (seen === rank) gaps[i] = first - s;
    }
  }
  gaps.sort();
  return (n % 2 ? gaps[(n - 1) >> 1] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2) / 4;
}

/** A row source that records the largest gather and block it was asked for (the memory a step needs). */
function counting(src: DocumentRows): DocumentRows & { maxGather: number; maxBlock: number; gathers: number } {
  const c = {
    rows: src.rows,
    dim: src.dim,
    maxGather: 0,
    maxBlock: 0,
    gathers: 0,
    gather(rows: Int32Array) {
      c.maxGather = Math.max(c.maxGather, rows.length);
      c.gathers++;
      return src.gather(rows);
    },
    block(start: number, end: number) {
      c.maxBlock = Math.max(c.maxBlock, end - start);
      return src.block(start, end);
    },
  };
  return c;
}

const bytes = (li: LearnableIndex) => Buffer.from(serializeIndex(li.index));

describe('document rows read on demand', () => {
  it("autoTemperature over blocks equals today's IndexFlat search, on a Matrix and on a file (ip, l2, own ids)", () => {
    const ids = Array.from({ length: queries.rows }, (_, i) => (i * 13) % docs.rows);
    for (const metric of ['ip', 'l2'] as const) {
      for (const o of [{}, { depth: 10, sample: 31, seed: 4 }, { depth: 50, queryDocIds: ids }]) {
        const want = flatTemperature(metric, queries, docs, o);
        expect(autoTemperature(metric, queries, docs, o)).toBe(want);
        for (const blockRows of [1, 37, 256, 5000]) {
          expect(autoTemperature(metric, queries, docs, { ...o, blockRows })).toBe(want);
          expect(autoTemperature(metric, queries, reader, { ...o, blockRows })).toBe(want);
        }
      }
    }
    // A dimension the kernel pads (13 -> 16) and more documents than one default block.
    const odd = clustered(4, 5000, 40, 13);
    for (const metric of ['ip', 'l2'] as const) {
      const want = flatTemperature(metric, odd.queries, odd.docs, {});
      expect(autoTemperature(metric, odd.queries, odd.docs, { blockRows: 999 })).toBe(want);
    }
  });

  const base = {
    queryEmbeddings: queries, relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 3, docScope: 'batch' as const,
    seed: 5, lr: { codebooks: 1e-2, centroids: 1e-2, rotation: 1e-3 },
  };
  const build = (indexMethod: 'ivf_pq' | 'ivf_opq' | 'pq', distMode: 'ip' | 'l2' | 'cosine' = 'ip') =>
    LearnableIndex.create({ docEmbeddings: docs, indexMethod, ivfCentersNum: 8, subvectorNum: 4, subvectorBits: 6, distMode, seed: 3 });

  it("fit from a file equals fit from the Matrix, byte for byte: distill with virtual labels, 'keep' and 'reencode'", async () => {
    for (const indexMethod of ['ivf_pq', 'ivf_opq', 'pq'] as const) {
      for (const writeBack of ['keep', 'reencode'] as const) {
        const a = build(indexMethod);
        const b = build(indexMethod);
        const src = counting(reader);
        const ra = a.fitSync({ ...base, docEmbeddings: docs, writeBack });
        const rb = b.fitSync({ ...base, docEmbeddings: src, writeBack });
        expect(rb.temperature).toBe(ra.temperature);
        expect(rb.epochLoss).toEqual(ra.epochLoss);
        expect(bytes(b).equals(bytes(a))).toBe(true);
        // Per step: one batch's documents (16 queries x (1 positive + 3 negatives)); the corpus only in blocks.
        expect(src.maxGather).toBe(16 * 4);
        expect(src.gathers).toBe(rb.steps);
        expect(src.maxBlock).toBeLessThanOrEqual(docBlockRows(16));
        // The asynchronous fit too (its re-encode adds a slice at a time).
        const c = build(indexMethod);
        await c.fit({ ...base, docEmbeddings: reader, writeBack });
        expect(bytes(c).equals(bytes(a))).toBe(true);
      }
    }
  });

  it('contrastive with given labels, nearest codes, and a fixed temperature: the same bytes from a file', () => {
    const rng = createRng(9);
    const rels = new Map<number, number[]>();
    for (let q = 0; q < queries.rows; q++) rels.set(q, [rng.int(docs.rows)]);
    const o = { ...base, relData: rels, lossMethod: 'contras' as const, codeAssignment: 'nearest' as const, temperature: 0.05 };
    const a = build('ivf_pq', 'l2');
    const b = build('ivf_pq', 'l2');
    a.fitSync({ ...o, docEmbeddings: docs });
    b.fitSync({ ...o, docEmbeddings: reader });
    expect(bytes(b).equals(bytes(a))).toBe(true);
  });

  it('a cosine index normalises the rows it reads: the same bytes as the Matrix (the file holds unnormalised vectors)', async () => {
    // Scaled rows, so that normalising matters.
    const scaled = { rows: docs.rows, dim: docs.dim, data: docs.data.map((v, i) => v * (1 + (Math.floor(i / 16) % 7))) };
    const p = join(dir, 'scaled.npy');
    await writeNpy(p, scaled);
    const r = await openRowReader(p);
    try {
      for (const writeBack of ['keep', 'reencode'] as const) {
        const mk = () => LearnableIndex.create({ docEmbeddings: scaled, indexMethod: 'ivf_opq', ivfCentersNum: 8, subvectorNum: 4, subvectorBits: 6, distMode: 'cosine', seed: 3 });
        const a = mk();
        const b = mk();
        const before = Float32Array.from(scaled.data);
        a.fitSync({ ...base, docEmbeddings: scaled, writeBack });
        b.fitSync({ ...base, docEmbeddings: r, writeBack });
        expect(bytes(b).equals(bytes(a))).toBe(true);
        expect(scaled.data).toEqual(before); // the caller's matrix is not normalised in place
      }
      const unit = normalizeRows({ rows: scaled.rows, dim: scaled.dim, data: scaled.data.slice() });
      expect(autoTemperature('ip', queries, unit)).toBeGreaterThan(0);
    } finally {
      r.close();
    }
  });

  it("refuses docScope 'corpus', towers, and a source of the wrong shape or with bad values, naming them", async () => {
    const li = build('ivf_pq');
    expect(() => li.fitSync({ ...base, docEmbeddings: reader, docScope: 'corpus' })).toThrow(/docScope.*'batch' with document rows read on demand.*Matrix/);
    await expect(li.fitWithTowers({ ...base, docEmbeddings: reader }, {})).rejects.toThrow(/docEmbeddings.*a Matrix when towers train/);
    const wrongDim: DocumentRows = { rows: docs.rows, dim: 8, gather: () => docs, block: () => docs };
    expect(() => li.fitSync({ ...base, docEmbeddings: wrongDim })).toThrow(/docEmbeddings: a row source of 900 x 8 documents, the index expects dimension 16/);
    const fewer: DocumentRows = { rows: 10, dim: 16, gather: (r) => reader.gather(r), block: (s, e) => reader.block(s, e) };
    expect(() => li.fitSync({ ...base, docEmbeddings: fewer })).toThrow(/docEmbeddings: 10 rows, the index holds 900/);
    const liar: DocumentRows = { rows: docs.rows, dim: 16, gather: (r) => reader.gather(r.subarray(1)), block: (s, e) => reader.block(s, e) };
    expect(() => li.fitSync({ ...base, docEmbeddings: liar, temperature: 1 })).toThrow(/docEmbeddings.gather: expected a Matrix of 64 x 16/);
    const nan: DocumentRows = {
      rows: docs.rows,
      dim: 16,
      gather: (r) => {
        const m = reader.gather(r);
        m.data[2 * 16 + 5] = Number.NaN;
        return m;
      },
      block: (s, e) => reader.block(s, e),
    };
    expect(() => li.fitSync({ ...base, docEmbeddings: nan, temperature: 1 })).toThrow(/docEmbeddings: document \d+, component 5 is NaN/);
    expect(() => li.reencode(fewer)).toThrow(/reencode: 10 document embeddings for 900 stored documents/);
  });
});
