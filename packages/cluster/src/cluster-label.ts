import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { LibvqError, deserializeIndex } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { absolute, vectorRows } from './cluster-build.js';
import { planShards, type LabelJobData, type LabelMergeJobData, type LabelMergeJobResult, type VectorFileRef } from './jobs.js';
import { Run, type RunOptions } from './run.js';
import { sha256Hex } from './shard-file.js';

export interface ClusterLabelOptions extends RunOptions {
  /** The training queries (embeddings), on storage every worker reads. */
  readonly queries: VectorFileRef;
  /** The index whose ranking makes the labels (LibVQ: the initial compressed index), on the shared storage. */
  readonly index: string;
  /** Negatives per query (LibVQ: 399); the ranking keeps 1 + negNum ids, + 1 when `queriesAreDocs`. */
  readonly negNum?: number;
  /** Queries drawn from the indexed documents: one more id is kept, so the query's own document can be skipped. */
  readonly queriesAreDocs?: boolean;
  /** IVF lists probed (default: the index's nprobe). */
  readonly nprobe?: number;
  readonly backend?: string;
}

export interface ClusterLabelResult extends LabelMergeJobResult {
  readonly run: string;
  readonly shards: number;
  readonly wallSeconds: number;
  /** Seconds the label jobs spent on their own work, summed over the workers. */
  readonly shardSeconds: number;
}

/**
 * Virtual-label mining on the workers of a queue: each label job searches a shard of the queries in the index, the
 * label-merge job concatenates their rankings into one ranking file, which `libvq train --virtual-labels` (or
 * labelsFromRanking) turns into the labels virtualLabels would mine in one process from the same index and nprobe.
 */
export async function labelOnCluster(o: ClusterLabelOptions): Promise<ClusterLabelResult> {
  const t0 = performance.now();
  const negNum = o.negNum ?? 399;
  if (!Number.isInteger(negNum) || negNum < 0) throw invalidArgument('negNum', 'an integer >= 0', negNum);
  const indexPath = resolve(o.index);
  const bytes = await readFile(indexPath).catch((e: Error) => {
    throw new LibvqError('IO', `--index ${o.index}: cannot read it (${e.message})`, { cause: e });
  });
  const index = deserializeIndex(bytes, { name: o.index });
  if (index.ntotal === 0) throw new LibvqError('INSUFFICIENT_DATA', `--index ${o.index}: the index holds no documents to label with`);
  const k = Math.min(1 + negNum + (o.queriesAreDocs ? 1 : 0), index.ntotal);
  const queries = absolute(o.queries);
  const rows = await vectorRows(queries, (src) => {
    if (src.dim !== index.d) throw new LibvqError('DIMENSION_MISMATCH', `${src.path}: queries of dimension ${src.dim}, the index ${o.index} takes ${index.d}`);
  });
  const ref = { path: indexPath, sha256: sha256Hex(bytes) };
  const run = await Run.open(o);
  try {
    const shards = planShards(rows, run.shardRows).map((s, i) => ({ ...s, path: join(run.workDir, `labels-${String(i).padStart(6, '0')}.lvqr`) }));
    const children = shards.map((s): LabelJobData => ({ queries, index: ref, start: s.start, end: s.end, k, nprobe: o.nprobe, shardPath: s.path, backend: o.backend }));
    const mergeData: LabelMergeJobData = { out: run.out, k, shards };
    const { result, shardSeconds } = await run.shardFlow('label-merge', mergeData, 'label', children, rows);
    return { ...(result as LabelMergeJobResult), run: run.id, shards: shards.length, shardSeconds, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await run.close();
  }
}
