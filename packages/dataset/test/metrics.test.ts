import { describe, expect, it } from 'vitest';
import { evaluateRanking, knnRecall, type OffsetRels } from '../src/index.js';
import { mrrAt, ndcgAt, recallAt } from '../src/metrics/ranking-metrics.js';

const rels: OffsetRels = new Map([
  [0, new Map([[10, 2], [11, 1]])],
  [1, new Map([[20, 1]])],
  // Judged, but nothing relevant: not counted.
  [2, new Map([[30, 0]])],
]);
// Query 3 has no judgments at all: not counted either.
const labels = Int32Array.from([
  11, 5, 10, -1, -1, //
  1, 2, 3, 4, 20, //
  30, 31, 32, 33, 34, //
  10, 11, 20, 30, 40,
]);
const results = { labels, k: 5 };

describe('ranking metrics (hand-computed)', () => {
  it('MRR@k', () => {
    expect(mrrAt(results, rels, 5)).toBeCloseTo((1 + 1 / 5) / 2, 12);
    expect(mrrAt(results, rels, 3)).toBeCloseTo((1 + 0) / 2, 12);
    expect(mrrAt(results, rels, 1)).toBeCloseTo(0.5, 12);
  });

  it('Recall@k = |rel ∩ top k| / |rel|', () => {
    expect(recallAt(results, rels, 1)).toBeCloseTo((1 / 2 + 0) / 2, 12);
    expect(recallAt(results, rels, 3)).toBeCloseTo((1 + 0) / 2, 12);
    expect(recallAt(results, rels, 5)).toBeCloseTo(1, 12);
  });

  it('nDCG@k with linear graded gain (trec_eval ndcg_cut)', () => {
    const q0dcg = 1 / Math.log2(2) + 2 / Math.log2(4);
    const q0idcg = 2 / Math.log2(2) + 1 / Math.log2(3);
    expect(ndcgAt(results, rels, 3)).toBeCloseTo((q0dcg / q0idcg + 0) / 2, 12);
    expect(ndcgAt(results, rels, 5)).toBeCloseTo((q0dcg / q0idcg + 1 / Math.log2(6)) / 2, 12);
    // @1: q0 ranks the grade-1 doc first while the ideal has the grade-2 doc: 1/2.
    expect(ndcgAt(results, rels, 1)).toBeCloseTo((1 / 2 + 0) / 2, 12);
  });

  it('accepts BigInt64Array labels and counts a repeated doc once', () => {
    const big = { labels: BigInt64Array.from(labels, (v) => BigInt(v)), k: 5 };
    expect(mrrAt(big, rels, 5)).toBeCloseTo(0.6, 12);
    const dup = { labels: Int32Array.from([10, 10, 10, 10, 10, 20, 20, 1, 2, 3]), k: 5 };
    const r2: OffsetRels = new Map([[0, new Map([[10, 1], [11, 1]])], [1, new Map([[20, 3]])]]);
    expect(recallAt(dup, r2, 5)).toBeCloseTo((1 / 2 + 1) / 2, 12);
    // A repeat cannot add gain: q0 DCG = 1, IDCG = 1 + 1/log2(3).
    expect(ndcgAt(dup, r2, 5)).toBeCloseTo((1 / (1 + 1 / Math.log2(3)) + 1) / 2, 12);
  });

  it('evaluateRanking bundles the cutoffs and counts judged queries', () => {
    const e = evaluateRanking(results, rels, { mrr: [5], recall: [3, 5], ndcg: [3] });
    expect(e.queries).toBe(2);
    expect(e.mrr[5]).toBeCloseTo(0.6, 12);
    expect(e.recall[3]).toBeCloseTo(0.5, 12);
    expect(e.recall[5]).toBeCloseTo(1, 12);
  });

  it('rejects cutoffs beyond k, ragged labels, and judged queries without results', () => {
    expect(() => mrrAt(results, rels, 6)).toThrow(/cutoff: expected an integer in 1\.\.5/);
    expect(() => recallAt({ labels: new Int32Array(7), k: 5 }, rels, 5)).toThrow(/7 labels is not a multiple of k = 5/);
    expect(() => ndcgAt({ labels: labels.subarray(0, 5), k: 5 }, rels, 5)).toThrow(/judge query offset 1, but the results have 1 rows/);
    expect(() => mrrAt(results, new Map([[0, new Map([[1, 0]])]]), 5)).toThrow(/no query has a relevant document/);
  });
});

describe('knnRecall (n-R@m against an exact top-k)', () => {
  const exact = { labels: Int32Array.from([1, 2, 3, 4, 5, -1]), k: 3 };
  const approx = { labels: BigInt64Array.from([2n, 9n, 1n, 8n, 5n, 7n, 6n, 4n]), k: 4 };
  it('matches hand-computed values', () => {
    expect(knnRecall(approx, exact, 1, 1)).toBe(0);
    expect(knnRecall(approx, exact, 1, 4)).toBe(1);
    expect(knnRecall(approx, exact, 3, 2)).toBeCloseTo((1 / 3 + 1 / 2) / 2, 12);
    expect(knnRecall(approx, exact, 3, 4)).toBeCloseTo((2 / 3 + 1) / 2, 12);
  });
  it('checks shapes and widths', () => {
    expect(() => knnRecall(approx, { labels: new Int32Array(3), k: 3 }, 1, 1)).toThrow(/approx has 2 query rows, exact has 1/);
    expect(() => knnRecall(approx, exact, 4, 1)).toThrow(/n: expected an integer in 1\.\.3/);
    expect(() => knnRecall(approx, exact, 1, 5)).toThrow(/m: expected an integer in 1\.\.4/);
  });
});
