import type { Command } from 'commander';
import { LibvqError, type Matrix, type Metric } from '@libvq/index-core';
import { jsBackend } from '@libvq/index-core/backend';
import { normalizeRows, searchRowsInBatches, type MetricOrCosine } from '@libvq/index-core/util';
import { knnRecall, readResults, type RowIds } from '@libvq/dataset';
import { withConfig } from '../config.js';
import { withProgress } from '../progress.js';
import { VECTORS_FORMATS, intOption, metricOption, readVectorsArg } from '../vectors-arg.js';

/** Exact neighbours per query: faiss's 10-R@100 needs the true top-10, R@1 the true first; 100 is the usual depth. */
const EXACT_K = 100;

interface EvalFlags {
  results: string;
  exact: string;
  queries?: string;
  metric?: MetricOrCosine;
  json?: boolean;
  batch: number;
  column?: string;
  queriesColumn?: string;
}

function sameIds(a: RowIds, b: RowIds): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (String(a[i]) !== String(b[i])) return i;
  return -1;
}

/** Exact top-k of every query over the base vectors (brute force), best first, labels = base row numbers. */
function exactTopK(q: Matrix, base: Matrix, k: number, metric: Metric, batch: number, onProgress: (done: number, total: number) => void) {
  return searchRowsInBatches(
    q,
    k,
    batch,
    (qb) => {
      const r = jsBackend.knn(qb, base, k, metric);
      return { distances: r.distances, labels: Float64Array.from(r.labels) };
    },
    onProgress,
  );
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description("score search results against exact search: R@1 and 10-R@100 (faiss's definitions)")
    .requiredOption('--results <file>', 'results Arrow file from libvq search')
    .requiredOption('--exact <vectors>', `the indexed vectors, searched exactly: ${VECTORS_FORMATS}`)
    .option('--queries <vectors>', 'the query vectors (default: the file named in the results, libvq.queries)')
    .option('--metric <m>', 'ip, l2 or cosine (default: the metric recorded in the results, else ip)', metricOption)
    .option('--json', 'print the figures as one JSON object')
    .option('--batch <n>', 'queries per exact-search call', intOption('--batch', 1), 256)
    .option('--column <name>', 'Arrow --exact files: the vector column')
    .option('--queries-column <name>', 'Arrow --queries files: the vector column')
    .addHelpText(
      'after',
      `
Examples:
  libvq eval --results dev.results.arrow --exact docs.npy --queries dev-queries.npy
  libvq eval --results dev.results.arrow --exact docs.embeddings.arrow --json

R@1: share of queries whose exact nearest neighbour is ranked first. 10-R@100: share of each query's exact
top-10 found in the returned top-100, averaged. With results of k < 100 the second figure is 10-R@k.`,
    )
    .action(async (flags: EvalFlags) => {
      const res = await readResults(flags.results);
      const nq = res.qids.length;
      const queriesPath = flags.queries ?? res.metadata.get('libvq.queries');
      if (queriesPath === undefined) {
        throw new LibvqError('INVALID_ARGUMENT', `--queries: ${flags.results} does not name its queries file (no libvq.queries metadata); give --queries`);
      }
      const recorded = res.metadata.get('libvq.metric');
      const metric: MetricOrCosine = flags.metric ?? (recorded === 'l2' || recorded === 'cosine' ? recorded : 'ip');
      const { matrix: base } = await readVectorsArg(flags.exact, '--exact', { column: flags.column });
      const { matrix: q, ids } = await readVectorsArg(queriesPath, '--queries', { column: flags.queriesColumn, dim: queriesPath.endsWith('.memmap') ? base.dim : undefined });
      if (q.dim !== base.dim) {
        throw new LibvqError('DIMENSION_MISMATCH', `--queries ${queriesPath}: vectors have dimension ${q.dim}, but --exact ${flags.exact} has ${base.dim}`);
      }
      if (q.rows !== nq) {
        throw new LibvqError('DIMENSION_MISMATCH', `--queries ${queriesPath}: ${q.rows} queries, but ${flags.results} has ${nq} result rows`);
      }
      if (ids !== undefined) {
        const at = sameIds(ids, res.qids);
        if (at >= 0) throw new LibvqError('DIMENSION_MISMATCH', `--queries ${queriesPath}: id of row ${at} is "${String(ids[at])}", but ${flags.results} has qid "${String(res.qids[at])}" there`);
      }
      for (let i = 0; i < res.labels.length; i++) {
        const l = res.labels[i];
        if (l >= base.rows) {
          throw new LibvqError('DIMENSION_MISMATCH', `${flags.results}: row ${Math.floor(i / res.k)} names doc ${String(l)}, but --exact ${flags.exact} has only ${base.rows} vectors (were the results computed over them?)`);
        }
      }
      const k = Math.min(EXACT_K, base.rows);
      // Cosine is the inner product of normalised vectors (what an L2norm,... index searches): both sides normalised.
      const unit = (m: Matrix): Matrix => normalizeRows({ rows: m.rows, dim: m.dim, data: m.data.slice() });
      const [qs, bs, knnMetric]: [Matrix, Matrix, Metric] = metric === 'cosine' ? [unit(q), unit(base), 'ip'] : [q, base, metric];
      const exact = await withProgress('exact search', 'queries', (onProgress) => exactTopK(qs, bs, k, knnMetric, flags.batch, onProgress));
      const approx = { labels: res.labels, k: res.k };
      const truth = { labels: exact.labels, k };
      const m = Math.min(100, res.k);
      const n = Math.min(10, k, m);
      const r1 = knnRecall(approx, truth, 1, 1);
      const rn = knnRecall(approx, truth, n, m);
      if (flags.json) {
        console.log(JSON.stringify({ queries: nq, metric, k: res.k, 'R@1': r1, [`${n}-R@${m}`]: rn }));
      } else {
        console.log(`${nq} queries, ${metric}, exact top-${k} over ${base.rows} vectors: R@1 = ${r1.toFixed(4)}, ${n}-R@${m} = ${rn.toFixed(4)}`);
      }
    });
  withConfig(cmd);
}
