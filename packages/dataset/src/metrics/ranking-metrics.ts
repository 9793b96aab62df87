import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import type { OffsetRels } from '../raw/rels.js';

/**
 * Retrieval metrics over search results: `labels` is nq x k row offsets (best first, -1 padded), row i
 * being query offset i; `rels` maps query offset -> (doc offset -> grade). Only judged queries count:
 * those with at least one document of grade > 0 (as LibVQ and trec_eval average over judged queries).
 * A judged query without a results row is an error, not a silent zero.
 */
export type Labels = Int32Array | Float64Array | BigInt64Array;

export interface RankedList {
  labels: Labels;
  /** Results per query (row length of labels). */
  k: number;
}

function rowsOf(r: RankedList, name: string): number {
  if (!Number.isInteger(r.k) || r.k < 1) throw invalidArgument(`${name}.k`, 'a positive integer', r.k);
  if (r.labels.length % r.k !== 0) throw new LibvqError('DIMENSION_MISMATCH', `${name}: ${r.labels.length} labels is not a multiple of k = ${r.k}`);
  return r.labels.length / r.k;
}

function cutoffOf(at: number, k: number): number {
  // A cutoff beyond the results would silently score missing ranks as misses.
  if (!Number.isInteger(at) || at < 1 || at > k) throw invalidArgument('cutoff', `an integer in 1..${k} (the results' k)`, at);
  return at;
}

/** Judged queries (with a relevant doc) in ascending order, checked against the number of result rows. */
function judgedQueries(rels: OffsetRels, nq: number): number[] {
  const out: number[] = [];
  for (const [q, docs] of rels) {
    let relevant = false;
    for (const g of docs.values()) if (g > 0) relevant = true;
    if (!relevant) continue;
    if (!Number.isInteger(q) || q < 0 || q >= nq) {
      throw new LibvqError('DIMENSION_MISMATCH', `rels judge query offset ${q}, but the results have ${nq} rows (row i = query offset i)`);
    }
    out.push(q);
  }
  if (out.length === 0) throw new LibvqError('INSUFFICIENT_DATA', 'rels: no query has a relevant document (grade > 0)');
  return out.sort((a, b) => a - b);
}

/** The first `cut` labels of row q as numbers, without -1 padding and repeats (a doc counts once). */
function topDocs(r: RankedList, q: number, cut: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const base = q * r.k;
  for (let j = 0; j < cut; j++) {
    const d = Number(r.labels[base + j]);
    if (d < 0 || seen.has(d)) continue;
    seen.add(d);
    out.push(d);
  }
  return out;
}

/** Rank positions (0-based, in the returned order) are kept: -1 slots still count as ranks. */
function rankedRow(r: RankedList, q: number, cut: number): number[] {
  const out: number[] = new Array<number>(cut);
  const seen = new Set<number>();
  for (let j = 0; j < cut; j++) {
    const d = Number(r.labels[q * r.k + j]);
    out[j] = d >= 0 && !seen.has(d) ? d : -1;
    if (d >= 0) seen.add(d);
  }
  return out;
}

/** Mean over judged queries of a per-query score computed on the top `cutoff` results. */
function meanOverJudged(
  results: RankedList,
  rels: OffsetRels,
  cutoff: number,
  score: (q: number, docs: ReadonlyMap<number, number>, cut: number) => number,
): number {
  const nq = rowsOf(results, 'results');
  const cut = cutoffOf(cutoff, results.k);
  const qs = judgedQueries(rels, nq);
  let sum = 0;
  for (const q of qs) sum += score(q, rels.get(q)!, cut);
  return sum / qs.length;
}

/** MRR@cutoff: mean over judged queries of 1 / rank of the first relevant doc within the cutoff (0 if none). */
export function mrrAt(results: RankedList, rels: OffsetRels, cutoff: number): number {
  return meanOverJudged(results, rels, cutoff, (q, docs, cut) => {
    const row = rankedRow(results, q, cut);
    for (let j = 0; j < cut; j++) if (row[j] >= 0 && (docs.get(row[j]) ?? 0) > 0) return 1 / (j + 1);
    return 0;
  });
}

/** Recall@cutoff: mean over judged queries of |relevant in top cutoff| / |relevant|. */
export function recallAt(results: RankedList, rels: OffsetRels, cutoff: number): number {
  return meanOverJudged(results, rels, cutoff, (q, docs, cut) => {
    let relevant = 0;
    for (const g of docs.values()) if (g > 0) relevant++;
    let hit = 0;
    for (const d of topDocs(results, q, cut)) if ((docs.get(d) ?? 0) > 0) hit++;
    return hit / relevant;
  });
}

/**
 * nDCG@cutoff with graded judgments and linear gain: DCG = sum over ranks i (1-based) of grade / log2(i+1),
 * normalised by the DCG of the ideal ordering of all judged grades. This is trec_eval's ndcg_cut (what
 * pytrec_eval's "ndcg_cut_10" computes); grades <= 0 give no gain.
 */
export function ndcgAt(results: RankedList, rels: OffsetRels, cutoff: number): number {
  return meanOverJudged(results, rels, cutoff, (q, docs, cut) => {
    const row = rankedRow(results, q, cut);
    let dcg = 0;
    for (let j = 0; j < cut; j++) {
      const g = row[j] >= 0 ? (docs.get(row[j]) ?? 0) : 0;
      if (g > 0) dcg += g / Math.log2(j + 2);
    }
    const ideal = [...docs.values()].filter((g) => g > 0).sort((a, b) => b - a);
    let idcg = 0;
    for (let j = 0; j < Math.min(cut, ideal.length); j++) idcg += ideal[j] / Math.log2(j + 2);
    return dcg / idcg;
  });
}

/**
 * Index fidelity without labels (faiss's n-R@m): the share of each query's exact top-n found in the
 * approximate top-m, averaged over queries. R@1 = knnRecall(approx, exact, 1, 1); 10-R@100 = (10, 100).
 * Exact rows with fewer than n valid labels are scored against the ones they have; rows with none are
 * skipped.
 */
export function knnRecall(approx: RankedList, exact: RankedList, n: number, m: number): number {
  const nq = rowsOf(approx, 'approx');
  const nqExact = rowsOf(exact, 'exact');
  if (nq !== nqExact) throw new LibvqError('DIMENSION_MISMATCH', `approx has ${nq} query rows, exact has ${nqExact}`);
  if (!Number.isInteger(n) || n < 1 || n > exact.k) throw invalidArgument('n', `an integer in 1..${exact.k} (the exact top-k width)`, n);
  if (!Number.isInteger(m) || m < 1 || m > approx.k) throw invalidArgument('m', `an integer in 1..${approx.k} (the approximate top-k width)`, m);
  let sum = 0;
  let counted = 0;
  for (let q = 0; q < nq; q++) {
    const truth = topDocs(exact, q, n);
    if (truth.length === 0) continue;
    const found = new Set(topDocs(approx, q, m));
    let hit = 0;
    for (const d of truth) if (found.has(d)) hit++;
    sum += hit / truth.length;
    counted++;
  }
  if (counted === 0) throw new LibvqError('INSUFFICIENT_DATA', 'exact results have no valid labels');
  return sum / counted;
}

export interface Evaluation {
  /** Judged queries the means are over. */
  queries: number;
  mrr: Record<number, number>;
  recall: Record<number, number>;
  ndcg: Record<number, number>;
}

/** MRR, Recall and nDCG at several cutoffs (default MRR@10, Recall@10/100, nDCG@10). */
export function evaluateRanking(
  results: RankedList,
  rels: OffsetRels,
  cutoffs: { mrr?: number[]; recall?: number[]; ndcg?: number[] } = {},
): Evaluation {
  const { mrr = [10], recall = [10, 100], ndcg = [10] } = cutoffs;
  const nq = rowsOf(results, 'results');
  const out: Evaluation = { queries: judgedQueries(rels, nq).length, mrr: {}, recall: {}, ndcg: {} };
  for (const c of mrr) out.mrr[c] = mrrAt(results, rels, c);
  for (const c of recall) out.recall[c] = recallAt(results, rels, c);
  for (const c of ndcg) out.ndcg[c] = ndcgAt(results, rels, c);
  return out;
}
