import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LibvqError, deserializeIndex, serializeIndex } from '@libvq/index-core';
import { writeFileAtomic } from '@libvq/index-core/util';
import { openVectors, planIndexBuild, type IndexBuildSpec } from '@libvq/dataset';
import { planShards, type EncodeJobData, type MergeJobData, type MergeJobResult, type TrainJobData, type TrainJobResult, type TrainedRef, type VectorFileRef } from './jobs.js';
import { Run, type RunOptions } from './run.js';
import { sha256Hex } from './shard-file.js';

export interface ClusterBuildOptions extends RunOptions {
  /** The corpus, on storage every worker reads at the same path. */
  readonly vectors: VectorFileRef;
  readonly spec: IndexBuildSpec;
}

export interface ClusterEncodeOptions extends RunOptions {
  readonly vectors: VectorFileRef;
  /** A trained index file: its entries (if any) are dropped, the corpus is encoded into it (`libvq cluster encode`). */
  readonly index: string;
  readonly backend?: string;
}

export interface ClusterBuildResult extends MergeJobResult {
  readonly run: string;
  readonly shards: number;
  /** The train job's result (buildOnCluster; null for encodeOnCluster, which trains nothing). */
  readonly train: TrainJobResult | null;
  /** Seconds from enqueueing to the merged index. */
  readonly wallSeconds: number;
  /** Seconds the encode jobs spent on their own work, summed over the workers (wallSeconds minus this is queueing, waiting and merging). */
  readonly shardSeconds: number;
}

/**
 * Builds an index on the workers of a BullMQ queue: one train job, then one encode job per shard of rows as the
 * children of one merge job. The index equals `libvq build`'s with the same spec and seed, byte for byte, whatever
 * the number of workers and the order shards finish in. Follows the run until the index is written; a job that
 * fails for good (its retries spent) ends the run with an error naming the job, its rows and its reason.
 */
export async function buildOnCluster(o: ClusterBuildOptions): Promise<ClusterBuildResult> {
  const t0 = performance.now();
  const vectors = absolute(o.vectors);
  // Opened here only to plan: the rows, and the spec checked against the file before anything is enqueued.
  const rows = await vectorRows(vectors, (src) => void planIndexBuild(src, o.spec));
  const run = await Run.open(o);
  try {
    const trainData: TrainJobData = { vectors, spec: o.spec, trainedPath: join(run.workDir, 'trained.faiss') };
    const train = (await run.job('train', trainData, 'train')) as TrainJobResult;
    const merged = await encodeShards(run, vectors, rows, { path: train.path, sha256: train.sha256 }, o.spec.backend);
    return { ...merged, run: run.id, train, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await run.close();
  }
}

/**
 * Encodes a corpus into an index already trained (the re-encode write-back after `libvq train`, or one trained
 * elsewhere): the same flow as buildOnCluster without the train job. Equals reading the index, reset(), and adding
 * every row in one process, byte for byte.
 */
export async function encodeOnCluster(o: ClusterEncodeOptions): Promise<ClusterBuildResult> {
  const t0 = performance.now();
  const vectors = absolute(o.vectors);
  const bytes = await readFile(resolve(o.index)).catch((e: Error) => {
    throw new LibvqError('IO', `--index ${o.index}: cannot read it (${e.message})`, { cause: e });
  });
  const index = deserializeIndex(bytes, { name: o.index });
  if (!index.isTrained) throw new LibvqError('NOT_TRAINED', `--index ${o.index}: the index is not trained; build it with libvq build / cluster build, or train it with libvq train`);
  const rows = await vectorRows(vectors, (src) => {
    if (src.dim !== index.d) throw new LibvqError('DIMENSION_MISMATCH', `${src.path}: vectors of dimension ${src.dim}, the index ${o.index} takes ${index.d}`);
  });
  index.reset();
  const empty = serializeIndex(index);
  const run = await Run.open(o);
  try {
    const trainedPath = join(run.workDir, 'trained.faiss');
    await writeFileAtomic(trainedPath, [empty]);
    const merged = await encodeShards(run, vectors, rows, { path: trainedPath, sha256: sha256Hex(empty) }, o.backend);
    return { ...merged, run: run.id, train: null, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await run.close();
  }
}

async function encodeShards(run: Run, vectors: VectorFileRef, rows: number, trained: TrainedRef, backend: string | undefined): Promise<MergeJobResult & { shards: number; shardSeconds: number }> {
  const shards = planShards(rows, run.shardRows).map((s, i) => ({ ...s, path: join(run.workDir, `shard-${String(i).padStart(6, '0')}.lvqs`) }));
  const mergeData: MergeJobData = { trained, out: run.out, shards, backend };
  const children = shards.map((s): EncodeJobData => ({ vectors, trained, start: s.start, end: s.end, shardPath: s.path, backend }));
  const { result, shardSeconds } = await run.shardFlow('merge', mergeData, 'encode', children, rows);
  return { ...(result as MergeJobResult), shards: shards.length, shardSeconds };
}

export function absolute(v: VectorFileRef): VectorFileRef {
  return { ...v, path: resolve(v.path) };
}

/** The rows of a vector file, after `check` has seen it open. */
export async function vectorRows(v: VectorFileRef, check: (src: { path: string; rows: number; dim: number }) => void): Promise<number> {
  const src = await openVectors(v.path, { dim: v.dim, column: v.column });
  try {
    check(src);
    return src.rows;
  } finally {
    await src.close();
  }
}
