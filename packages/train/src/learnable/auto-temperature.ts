import type { Matrix, Metric } from '@libvq/index-core';
import { createRng, gatherRows, invalidArgument, sampleWithoutReplacement } from '@libvq/index-core/util';
import type { DocEmbeddings } from './doc-rows.js';
import { exactTopK } from './exact-top-k.js';

/**
 * `temperature: 'auto'`: a temperature fitted to the teacher's score scale.
 *
 * Why: the losses are softmaxes over raw scores divided by tau, so a good tau depends on how far apart the
 * teacher's scores are, which differs by orders of magnitude between encoders. Bag-of-words GloVe embeddings
 * of Cranfield put a query's top 100 documents within 0.02 of each other: at LibVQ's default tau = 1 (or
 * 0.05) the teacher's distribution is almost flat over them and the student learns nothing about their order,
 * while 768-d BERT inner products spread over tens. 'auto' picks tau so that, for the median training query,
 * the teacher's probability of its `depth`-th document is e^-logRatio of its first's:
 *   tau = median_q (s_q(1) - s_q(depth)) / logRatio.
 * Measured on Cranfield (glove-100, OPQ4 distilled over the whole corpus, dev MRR@10 / R@100): 'auto' gives
 * tau = 0.0048 and 0.291 / 0.419; fixed 0.05 gave 0.262 / 0.372 (R@100 below OPQ's 0.380), 0.01 0.294 / 0.392,
 * 0.002 0.275 / 0.421.
 */
export interface AutoTemperatureOptions {
  /** Rank whose teacher probability is e^-logRatio of the top document's. Default 100 (R@100's depth). */
  depth?: number;
  /** Default 4: the rank-`depth` document weighs 1/55 of the first. */
  logRatio?: number;
  /** Training queries sampled (exact search over all documents for each). Default 1000. */
  sample?: number;
  seed?: number;
  /** When the queries are documents of the corpus (ANN training): each query row's own document, left out. */
  queryDocIds?: ArrayLike<number>;
  /** Documents scored at a time (default docBlockRows: ~16 MB of vectors). The result does not depend on it. */
  blockRows?: number;
}

/**
 * A temperature as text (command lines, config files): 'auto' or a finite number > 0. The one parser behind
 * `libvq train --temperature` and the benchmarks' flag.
 */
export function parseTemperature(text: string, name = 'temperature'): number | 'auto' {
  if (text === 'auto') return 'auto';
  const t = Number(text);
  if (text.trim() === '' || !(t > 0 && Number.isFinite(t))) throw invalidArgument(name, "a number > 0 or 'auto'", text);
  return t;
}

/** Scores a metric ranks by, larger = better: inner product, or minus the squared L2 distance. */
function score(metric: Metric, distance: number): number {
  return metric === 'ip' ? distance : -distance;
}

/**
 * `docs`: a Matrix or a row source (DocumentRows, e.g. a file): the sampled queries' exact top-k is taken block by
 * block (exactTopK), so no copy of the corpus is made and the value is the one of an exact search over all
 * documents at once.
 */
export function autoTemperature(metric: Metric, queries: Matrix, docs: DocEmbeddings, o: AutoTemperatureOptions = {}): number {
  const depth = o.depth ?? 100;
  const logRatio = o.logRatio ?? 4;
  if (!Number.isInteger(depth) || depth < 2) throw invalidArgument('autoTemperature depth', 'an integer >= 2', depth);
  if (!(logRatio > 0 && Number.isFinite(logRatio))) throw invalidArgument('autoTemperature logRatio', 'a finite number > 0', logRatio);
  const own = o.queryDocIds;
  const depthAvailable = docs.rows - (own ? 1 : 0);
  if (depthAvailable < 2) throw invalidArgument('temperature', "'auto' needs at least 2 documents per query to measure the score spread", docs.rows);
  const rank = Math.min(depth, depthAvailable);
  const n = Math.min(o.sample ?? 1000, queries.rows);
  const rows = sampleWithoutReplacement(queries.rows, n, createRng(o.seed ?? 1234));
  rows.sort();
  const k = rank + (own ? 1 : 0);
  const r = exactTopK(metric, gatherRows(queries, rows), docs, k, { blockRows: o.blockRows });
  const gaps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const skip = own ? own[rows[i]] : -1;
    let first = NaN;
    let seen = 0;
    for (let j = 0; j < k && seen < rank; j++) {
      if (Number(r.labels[i * k + j]) === skip) continue;
      const s = score(metric, r.distances[i * k + j]);
      if (seen === 0) first = s;
      seen++;
      if (seen === rank) gaps[i] = first - s;
    }
  }
  gaps.sort();
  const median = n % 2 ? gaps[(n - 1) >> 1] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
  if (!(median > 0 && Number.isFinite(median))) {
    throw invalidArgument('temperature', `'auto' to find a score spread: the median gap between the teacher's rank-1 and rank-${rank} scores is ${median} (identical documents?); give a number`, 'auto');
  }
  return median / logRatio;
}
