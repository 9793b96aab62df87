import { LibvqError, type Index, type LongOperationOptions, type Matrix, type Metric } from '@libvq/index-core';
import { createRng, gatherRows, invalidArgument, sampleWithoutReplacement, sliceRows, throwIfAborted } from '@libvq/index-core/util';
import type { DocEmbeddings } from './doc-rows.js';
import { exactTopK } from './exact-top-k.js';
import type { RelData } from './labels.js';

export interface VirtualLabels {
  readonly rels: RelData;
  readonly negs: RelData;
}

/**
 * How virtual labels (relData null, LibVQ's "nolabel") are mined.
 * - 'index' (LibVQ's): search the initial compressed index; rank 1 is the positive, ranks 2..(1 + negNum) the
 *   hard negatives. With IVF, `nprobe` lists are probed: 'auto' (default) calibrates it (calibrateLabelNprobe),
 *   a number is taken as given; every list probed is LibVQ's exhaustive scan, an O(corpus) ADC scan per query.
 * - 'exact': the teacher's own ranking, an exact inner-product (or L2) search of the dense document embeddings,
 *   blocked GEMM on `threads` threads (Distill-VQ's candidates: the dense model's top documents).
 */
export interface LabelMiningOptions {
  method?: 'index' | 'exact';
  nprobe?: number | 'auto';
  /** Threads of the search (default: the index's `threads`). The labels do not depend on it. */
  threads?: number;
  /** Training queries sampled to calibrate nprobe 'auto' (default 256). */
  calibrationQueries?: number;
}

/** What the mining did, for FitReport and the CLI's output. */
export interface LabelMiningReport {
  readonly method: 'index' | 'exact';
  /** Lists probed ('index' with IVF); null for 'exact' or an index without lists. */
  readonly nprobe: number | null;
  readonly nlist: number;
  readonly queries: number;
  readonly seconds: number;
  /** nprobe 'auto': each nprobe tried on the sample against the exhaustive scan, and the one chosen. */
  readonly calibration: LabelCalibration | null;
}

export interface LabelCalibration {
  readonly sampleQueries: number;
  readonly tried: readonly { nprobe: number; positiveAgreement: number; labelRecall: number }[];
  readonly chosen: number;
}

/**
 * The quality nprobe 'auto' asks of the sampled labels against the exhaustive scan's: the same positive for 98%
 * of the queries, and 95% of the exhaustive scan's 1 + negNum labels found. The positive is what the loss
 * ranks first; the negatives are a pool the sampler draws a few from, so a few swapped near the cut-off cost
 * nothing.
 */
export const LABEL_POSITIVE_AGREEMENT = 0.98;
export const LABEL_RECALL = 0.95;

/**
 * Virtual labels from `index` searched with `nprobe` lists (ignored without IVF). `queryDocIds` (queries drawn
 * from the indexed documents, as in ANN training): query i is document queryDocIds[i], which is left out of its
 * own labels — otherwise every query's positive is itself, a match that teaches the index nothing.
 */
export function virtualLabels(
  index: Index,
  queries: Matrix,
  negNum = 399,
  nprobe = 1,
  opts: LongOperationOptions & { queryDocIds?: ArrayLike<number>; threads?: number } = {},
): VirtualLabels {
  // 4,096 queries a search: enough for every thread to take many chunks (at nprobe 8 a 256-query search is ~50 ms,
  // where posting the shares costs what splitting saves), 4,096 x k results are ~20 MB at k = 400.
  return mineInChunks(queries, negNum, index.ntotal, 4096, opts, (q, k) => {
    throwIfAborted(opts.signal, 'virtual labels');
    return index.searchSync(q, { k, nprobe, threads: opts.threads }).labels;
  });
}

/**
 * Virtual labels from a ranking searched elsewhere (`libvq cluster label`: the top k of every query, best first):
 * the same labels virtualLabels gives from the same search, which asks for k = 1 + negNum (+ 1 with queryDocIds, whose
 * own document is skipped), or every document when there are fewer.
 */
export function labelsFromRanking(ids: Float64Array, rows: number, k: number, negNum = 399, queryDocIds?: ArrayLike<number>): VirtualLabels {
  if (!Number.isInteger(k) || k < 1 || ids.length !== rows * k) throw invalidArgument('ranking', `rows x k ids (${rows} x ${k})`, `${ids.length} ids`);
  if (queryDocIds && queryDocIds.length !== rows) throw invalidArgument('queryDocIds', `one document id per ranked query (${rows})`, `${queryDocIds.length} ids`);
  const labels = new Labels(negNum, queryDocIds);
  labels.take(ids, k, 0, rows);
  return labels.result();
}

/** Virtual labels from the teacher's exact ranking of the documents (see LabelMiningOptions 'exact'). */
export function exactVirtualLabels(
  metric: Metric,
  docs: DocEmbeddings,
  queries: Matrix,
  negNum = 399,
  opts: LongOperationOptions & { queryDocIds?: ArrayLike<number>; threads?: number } = {},
): VirtualLabels {
  const chunk = 8192;
  return mineInChunks(queries, negNum, docs.rows, chunk, opts, (q, k) =>
    exactTopK(metric, q, docs, k, { threads: opts.threads, signal: opts.signal, queryChunk: chunk }).labels,
  );
}

/** The labels of `queries`, searched `chunk` queries at a time (`search` ranks one chunk's top k). */
function mineInChunks(
  queries: Matrix,
  negNum: number,
  nDocs: number,
  chunk: number,
  opts: LongOperationOptions & { queryDocIds?: ArrayLike<number> },
  search: (q: Matrix, k: number) => Float64Array,
): VirtualLabels {
  const { k, self } = labelDepth(queries, negNum, nDocs, opts.queryDocIds);
  const labels = new Labels(negNum, self);
  for (let s = 0; s < queries.rows; s += chunk) {
    const e = Math.min(queries.rows, s + chunk);
    labels.take(search(sliceRows(queries, s, e), k), k, s, e);
    opts.onProgress?.(e, queries.rows);
  }
  return labels.result();
}

/**
 * nprobe 'auto': the smallest power of two (or nlist) whose labels on a seeded sample of the training queries
 * match the exhaustive scan's (LABEL_POSITIVE_AGREEMENT, LABEL_RECALL). Costs about two exhaustive scans of the
 * sample; the labels of all queries then cost nprobe / nlist of an exhaustive scan each.
 */
export function calibrateLabelNprobe(
  index: Index,
  nlist: number,
  queries: Matrix,
  negNum: number,
  opts: { queryDocIds?: ArrayLike<number>; threads?: number; sample?: number; seed?: number; signal?: AbortSignal } = {},
): LabelCalibration {
  const n = Math.min(opts.sample ?? 256, queries.rows);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('calibrationQueries', 'a positive integer', opts.sample);
  const rows = sampleWithoutReplacement(queries.rows, n, createRng(opts.seed ?? 1234));
  rows.sort();
  const sample = gatherRows(queries, rows);
  const own = opts.queryDocIds ? Array.from(rows, (r) => opts.queryDocIds![r]) : undefined;
  const run = (nprobe: number): VirtualLabels => virtualLabels(index, sample, negNum, nprobe, { queryDocIds: own, threads: opts.threads, signal: opts.signal });
  const full = run(nlist);
  const tried: LabelCalibration['tried'][number][] = [];
  for (let p = 1; ; p = Math.min(nlist, p * 2)) {
    const got = p === nlist ? full : run(p);
    const q = labelAgreement(full, got);
    tried.push({ nprobe: p, ...q });
    if ((q.positiveAgreement >= LABEL_POSITIVE_AGREEMENT && q.labelRecall >= LABEL_RECALL) || p === nlist) return { sampleQueries: n, tried, chosen: p };
  }
}

/**
 * How far `got` agrees with `reference`: the share of the reference's labelled queries that get the same positive,
 * and the share of the reference's labels (positive and negatives) that `got` has among its labels.
 */
export function labelAgreement(reference: VirtualLabels, got: VirtualLabels): { positiveAgreement: number; labelRecall: number } {
  let queries = 0;
  let samePositive = 0;
  let labels = 0;
  let found = 0;
  for (const [q, pos] of reference.rels) {
    queries++;
    const g = got.rels.get(q);
    if (g && g[0] === pos[0]) samePositive++;
    const mine = new Set<number>();
    if (g) for (const d of Array.from(g)) mine.add(d);
    for (const d of Array.from(got.negs.get(q) ?? [])) mine.add(d);
    const want = [...Array.from(pos), ...Array.from(reference.negs.get(q) ?? [])];
    labels += want.length;
    for (const d of want) if (mine.has(d)) found++;
  }
  return { positiveAgreement: queries ? samePositive / queries : 1, labelRecall: labels ? found / labels : 1 };
}

/** Mines the virtual labels as `o` asks (see LabelMiningOptions), timed and described. */
export function mineVirtualLabels(
  target: { index: Index; nlist: number; metric: Metric },
  queries: Matrix,
  docs: DocEmbeddings,
  negNum: number,
  o: LabelMiningOptions & { queryDocIds?: ArrayLike<number>; seed?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): { labels: VirtualLabels; report: LabelMiningReport } {
  const t0 = performance.now();
  const method = o.method ?? 'index';
  if (method !== 'index' && method !== 'exact') throw invalidArgument('labelMining.method', "'index' or 'exact'", method);
  const threads = o.threads ?? target.index.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw invalidArgument('labelMining.threads', 'a positive integer', o.threads);
  const nlist = target.nlist;
  const common = { queryDocIds: o.queryDocIds, threads, signal: o.signal, onProgress: o.onProgress };
  if (method === 'exact') {
    const labels = exactVirtualLabels(target.metric, docs, queries, negNum, common);
    return { labels, report: { method, nprobe: null, nlist, queries: queries.rows, seconds: (performance.now() - t0) / 1000, calibration: null } };
  }
  let nprobe: number | null = null;
  let calibration: LabelCalibration | null = null;
  if (nlist > 0) {
    const asked = o.nprobe ?? 'auto';
    if (asked === 'auto') {
      calibration = calibrateLabelNprobe(target.index, nlist, queries, negNum, { ...common, sample: o.calibrationQueries, seed: o.seed });
      nprobe = calibration.chosen;
    } else {
      if (!Number.isInteger(asked) || asked < 1 || asked > nlist) throw invalidArgument('labelMining.nprobe', `'auto' or an integer in [1, ${nlist}] (the index's lists)`, asked);
      nprobe = asked;
    }
  }
  const labels = virtualLabels(target.index, queries, negNum, nprobe ?? 1, common);
  return { labels, report: { method, nprobe, nlist, queries: queries.rows, seconds: (performance.now() - t0) / 1000, calibration } };
}

function labelDepth(queries: Matrix, negNum: number, nDocs: number, self: ArrayLike<number> | undefined): { k: number; self: ArrayLike<number> | undefined } {
  if (!Number.isInteger(negNum) || negNum < 0) throw invalidArgument('virtualNegNum', 'an integer >= 0', negNum);
  if (self && self.length !== queries.rows) throw invalidArgument('queryDocIds', `one document id per training query (${queries.rows})`, `${self.length} ids`);
  const k = Math.min(1 + negNum + (self ? 1 : 0), nDocs);
  if (k < 1) throw new LibvqError('INSUFFICIENT_DATA', 'virtual labels: there are no documents to label with');
  return { k, self };
}

/** Turns ranked search results into rels (rank 1) and negs (the next negNum), skipping padding and the query's own document. */
class Labels {
  private readonly rels: RelData = new Map();
  private readonly negs: RelData = new Map();
  private readonly found: Int32Array;
  constructor(
    private readonly negNum: number,
    private readonly self: ArrayLike<number> | undefined,
  ) {
    this.found = new Int32Array(negNum + 2);
  }

  /** Result rows for queries [s, e), k labels each. */
  take(ranked: Float64Array, k: number, s: number, e: number): void {
    const found = this.found;
    for (let i = s; i < e; i++) {
      let n = 0;
      for (let j = (i - s) * k; j < (i - s + 1) * k && n < found.length; j++) {
        const id = ranked[j];
        if (id >= 0 && (!this.self || id !== this.self[i])) found[n++] = id; // never label -1 (padding)
      }
      if (n === 0) continue;
      this.rels.set(i, [found[0]]);
      // Int32Array: 10^5 queries x 399 negatives are 160 MB as int32, twice that as number arrays
      this.negs.set(i, found.slice(1, Math.min(n, 1 + this.negNum)));
    }
  }

  result(): VirtualLabels {
    return { rels: this.rels, negs: this.negs };
  }
}

/** One line for people (libvq train, the demo, the benchmarks): how the labels were mined and what it cost. */
export function describeLabelMining(r: LabelMiningReport): string {
  const n = `${r.queries.toLocaleString('en-US')} queries in ${r.seconds.toFixed(1)} s`;
  if (r.method === 'exact') return `virtual labels: exact search of the dense document embeddings (the teacher's ranking), ${n}`;
  if (r.nprobe === null) return `virtual labels: the initial index scanned in full (no IVF), ${n}`;
  let how = 'as given';
  if (r.calibration) {
    const t = r.calibration.tried.slice(-2).map((x) => `${x.nprobe}: same positive ${x.positiveAgreement.toFixed(3)}, labels ${x.labelRecall.toFixed(3)}`);
    how = `auto, on ${r.calibration.sampleQueries} sampled queries against every list probed (asked ${LABEL_POSITIVE_AGREEMENT} / ${LABEL_RECALL}) — ${t.join('; ')}`;
  }
  return `virtual labels: the initial index searched with nprobe ${r.nprobe} of ${r.nlist} lists (${how}), ${n}`;
}
