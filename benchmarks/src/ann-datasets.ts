/**
 * The data sets of the ANN benchmark, put on disk for the systems (each reads the same two files in its
 * own process) with their exact ground truth.
 */
import { join } from 'node:path';
import { readMemmap, writeMemmap } from '@libvq/dataset/formats';
import { exactInnerProductTopK, gloveAnnSet } from '@libvq/glove/ann';
import { invalidArgument, sliceRows } from '@libvq/index-core/util';
import { type Metric } from '@libvq/index-core';
import { exactTopKOfFile } from './exact-from-file.js';
import { SYNTH1M, writeSynthSet } from './synth-set.js';

export interface AnnData {
  /** Short name for file names ('glove', 'synth1m'). */
  name: string;
  /** One line for the report header. */
  description: string;
  basePath: string;
  queriesPath: string;
  rows: number;
  dim: number;
  queries: number;
  metric: Metric;
  k: number;
  /** queries × k exact neighbours, best first. */
  truth: Int32Array;
  /** The brute-force search that made `truth`, when it ran in this run (the cached GloVe truth did not). */
  exact?: { seconds: number; threads: number };
}

export interface DataOptions {
  seed: number;
  k: number;
  /** Base rows: a prefix of GloVe's base, or the synthetic set's size (default: all / 1,000,000). */
  rows?: number;
  queries?: number;
  /** Synthetic set only. */
  dim?: number;
  components?: number;
  /** Threads of the brute-force ground truth (index-core's pool). */
  threads: number;
}

/** GloVe-100 (shared/data/README.md protocol); `rows` / `queries` take prefixes with their own exact truth. */
export async function prepareGlove(dir: string, o: DataOptions): Promise<AnnData> {
  const set = await gloveAnnSet({ seed: o.seed });
  const rows = o.rows ?? set.base.rows;
  const nq = o.queries ?? set.queries.rows;
  if (!Number.isInteger(rows) || rows < o.k || rows > set.base.rows) throw invalidArgument('--rows', `an integer from ${o.k} to ${set.base.rows} (GloVe's base)`, rows);
  if (!Number.isInteger(nq) || nq < 1 || nq > set.queries.rows) throw invalidArgument('--queries', `an integer from 1 to ${set.queries.rows}`, nq);
  const base = sliceRows(set.base, 0, rows);
  const queries = sliceRows(set.queries, 0, nq);
  let truth = set.groundTruth;
  let exact: AnnData['exact'];
  if (rows !== set.base.rows || nq !== set.queries.rows || o.k !== set.k) {
    const t0 = performance.now();
    truth = exactInnerProductTopK(base, queries, o.k).ids;
    exact = { seconds: (performance.now() - t0) / 1000, threads: 1 };
  }
  const basePath = join(dir, 'base.memmap');
  const queriesPath = join(dir, 'queries.memmap');
  await writeMemmap(basePath, base);
  await writeMemmap(queriesPath, queries);
  return {
    name: 'glove',
    description: `GloVe-100 (${rows.toLocaleString('en')} base${rows < set.base.rows ? ` of ${set.base.rows.toLocaleString('en')}` : ''}, ${nq} held-out queries, L2-normalised, inner product)`,
    basePath, queriesPath, rows, dim: base.dim, queries: nq, metric: 'ip', k: o.k, truth, exact,
  };
}

/** The synthetic Gaussian mixture (synth-set.ts), generated to disk block by block; l2 metric. */
export async function prepareSynth(dir: string, o: DataOptions): Promise<AnnData> {
  const spec = {
    rows: o.rows ?? SYNTH1M.rows, queries: o.queries ?? SYNTH1M.queries, dim: o.dim ?? SYNTH1M.dim,
    components: o.components ?? SYNTH1M.components, seed: o.seed,
  };
  if (spec.rows < o.k) throw invalidArgument('--rows', `at least k = ${o.k}`, spec.rows);
  const basePath = join(dir, 'base.memmap');
  const queriesPath = join(dir, 'queries.memmap');
  let t0 = performance.now();
  await writeSynthSet(spec, basePath, queriesPath);
  console.error(`synthetic set: ${spec.rows} x ${spec.dim} + ${spec.queries} queries written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const queries = await readMemmap(queriesPath, spec.dim);
  t0 = performance.now();
  const truth = (await exactTopKOfFile(basePath, spec.dim, queries, o.k, 'l2', { threads: o.threads })).ids;
  const seconds = (performance.now() - t0) / 1000;
  return {
    name: 'synth1m',
    description:
      `synthetic Gaussian mixture (${spec.rows.toLocaleString('en')} × ${spec.dim}, ${spec.components} components, ` +
      `${spec.queries} held-out queries, seed ${spec.seed}, L2)`,
    basePath, queriesPath, rows: spec.rows, dim: spec.dim, queries: spec.queries, metric: 'l2', k: o.k, truth,
    exact: { seconds, threads: o.threads },
  };
}
