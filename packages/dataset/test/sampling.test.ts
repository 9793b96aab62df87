import { describe, expect, it } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { TrainingSampler, type OffsetRels, type TrainingBatch } from '../src/index.js';

const rels: OffsetRels = new Map([
  [0, new Map([[3, 1], [4, 2]])],
  [1, new Map([[5, 1], [6, 0]])],
  [2, new Map([[7, 0]])], // no positive: not a training query
  [5, new Map([[1, 1]])],
]);

function all(s: TrainingSampler, batch: number, epoch: number): TrainingBatch[] {
  return [...s.epoch(batch, epoch)];
}

describe('TrainingSampler (DatasetForVQ semantics)', () => {
  it('visits every query with a positive once per epoch, positives from rels, negatives never positives', () => {
    const s = new TrainingSampler({ rels, numDocs: 50, perQueryNegNum: 4, seed: 7 });
    expect(Array.from(s.queries)).toEqual([0, 1, 5]);
    for (let e = 0; e < 20; e++) {
      const batches = all(s, 2, e);
      expect(batches.map((b) => b.queries.length)).toEqual([2, 1]);
      const qs = batches.flatMap((b) => Array.from(b.queries)).sort();
      expect(qs).toEqual([0, 1, 5]);
      for (const b of batches) {
        expect(b.negatives.length).toBe(b.queries.length * 4);
        for (let i = 0; i < b.queries.length; i++) {
          const docs = rels.get(b.queries[i])!;
          expect(docs.get(b.positives[i])).toBeGreaterThan(0);
          const negs = Array.from(b.negatives.subarray(i * 4, i * 4 + 4));
          expect(new Set(negs).size).toBe(4);
          for (const d of negs) {
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThan(50);
            expect((docs.get(d) ?? 0) > 0).toBe(false);
          }
        }
      }
    }
  });

  it('is deterministic for a seed and epoch, and differs across seeds and epochs', () => {
    const a = new TrainingSampler({ rels, numDocs: 1000, perQueryNegNum: 8, seed: 1 });
    const b = new TrainingSampler({ rels, numDocs: 1000, perQueryNegNum: 8, seed: 1 });
    const c = new TrainingSampler({ rels, numDocs: 1000, perQueryNegNum: 8, seed: 2 });
    expect(all(a, 3, 4)).toEqual(all(b, 3, 4));
    expect(all(a, 3, 4)).not.toEqual(all(c, 3, 4));
    expect(all(a, 3, 4)).not.toEqual(all(a, 3, 5));
  });

  it('draws both positives of a query over epochs, and random negatives roughly uniformly', () => {
    const s = new TrainingSampler({ rels, numDocs: 10, perQueryNegNum: 2, seed: 3 });
    const pos0 = new Set<number>();
    const negCounts = new Int32Array(10);
    for (let e = 0; e < 400; e++) {
      for (const b of s.epoch(3, e)) {
        for (let i = 0; i < b.queries.length; i++) {
          if (b.queries[i] === 0) {
            pos0.add(b.positives[i]);
            negCounts[b.negatives[2 * i]]++;
            negCounts[b.negatives[2 * i + 1]]++;
          }
        }
      }
    }
    expect([...pos0].sort()).toEqual([3, 4]);
    // Query 0's negatives come from the 8 non-positive docs: 800 draws, 100 expected each.
    expect(negCounts[3] + negCounts[4]).toBe(0);
    for (const d of [0, 1, 2, 5, 6, 7, 8, 9]) {
      expect(negCounts[d]).toBeGreaterThan(60);
      expect(negCounts[d]).toBeLessThan(140);
    }
  });

  it('uses hard negatives: a sample of them when enough, all of them plus random docs otherwise', () => {
    const negatives = new Map<number, Int32Array>([
      [0, Int32Array.from([10, 11, 12, 13, 14, 3])], // 3 is a positive of query 0: filtered out
      [1, Int32Array.from([20])],
    ]);
    const s = new TrainingSampler({ rels, numDocs: 100, perQueryNegNum: 3, negatives, seed: 11 });
    const seen0 = new Set<number>();
    for (let e = 0; e < 50; e++) {
      for (const b of s.epoch(8, e)) {
        for (let i = 0; i < b.queries.length; i++) {
          const negs = Array.from(b.negatives.subarray(3 * i, 3 * i + 3));
          if (b.queries[i] === 0) {
            for (const d of negs) {
              expect([10, 11, 12, 13, 14]).toContain(d);
              seen0.add(d);
            }
            expect(new Set(negs).size).toBe(3);
          } else if (b.queries[i] === 1) {
            expect(negs[0]).toBe(20);
            expect(new Set(negs).size).toBe(3);
            for (const d of negs.slice(1)) expect([5, 20]).not.toContain(d);
          }
        }
      }
    }
    expect([...seen0].sort()).toEqual([10, 11, 12, 13, 14]);
  });

  it('enumerates free documents when few are left (and still never repeats)', () => {
    const r: OffsetRels = new Map([[0, new Map([[0, 1], [1, 1], [2, 1]])]]);
    const s = new TrainingSampler({ rels: r, numDocs: 6, perQueryNegNum: 3, seed: 5 });
    for (let e = 0; e < 30; e++) {
      const [b] = all(s, 1, e);
      expect(Array.from(b.negatives).sort()).toEqual([3, 4, 5]);
    }
  });

  it('rejects impossible requests', () => {
    const r: OffsetRels = new Map([[0, new Map([[0, 1], [1, 1]])]]);
    expect(() => new TrainingSampler({ rels: r, numDocs: 3, perQueryNegNum: 2, seed: 1 })).toThrow(LibvqError);
    expect(() => new TrainingSampler({ rels: r, numDocs: 3, perQueryNegNum: 2, seed: 1 })).toThrow(/leave fewer than perQueryNegNum = 2/);
    expect(() => new TrainingSampler({ rels: new Map([[0, new Map([[9, 1]])]]), numDocs: 5, perQueryNegNum: 1, seed: 1 })).toThrow(/doc offset 9, outside 0\.\.4/);
    expect(() => new TrainingSampler({ rels: new Map([[0, new Map([[1, 0]])]]), numDocs: 5, perQueryNegNum: 1, seed: 1 })).toThrow(/no query has a positive/);
    expect(() => new TrainingSampler({ rels, numDocs: 5, perQueryNegNum: 0, seed: 1 })).toThrow(/perQueryNegNum/);
    const s = new TrainingSampler({ rels, numDocs: 50, perQueryNegNum: 1, seed: 1 });
    expect(() => s.epoch(0).next()).toThrow(/batchSize/);
  });
});
