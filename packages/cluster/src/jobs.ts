import type { IndexBuildSpec } from '@libvq/dataset';
import type { ShardFileInfo } from './shard-file.js';

/*
 * The jobs of a cluster build, as plain JSON (what BullMQ stores in Redis). Every path is on the storage all
 * workers share; a job reads files and writes one output file atomically, so running it twice (a retry after a
 * worker died) gives the same bytes.
 *
 *   train (one job)          sample of the vectors -> trained, empty index file
 *   encode (one per shard)   rows [start, end) + the trained index -> shard file of lists and codes
 *   merge (the flow parent)  trained index + every shard, in row order -> the index file
 *
 * and of a label run (virtual-label mining):
 *
 *   label (one per shard)        rows [start, end) of the queries searched in the index -> ranking shard
 *   label-merge (the parent)     every ranking shard, in row order -> one ranking file (@libvq/train/fit's)
 *
 * and of an embed run (text -> embeddings):
 *
 *   embed (one per shard)        lines [firstLine, endLine) of a collection.tsv through the model -> shard of float32 rows
 *   embed-merge (the parent)     every shard, in line order -> one .npy (row i = the i-th record of the file)
 */
export const JOB_NAMES = ['train', 'encode', 'merge', 'label', 'label-merge', 'embed', 'embed-merge'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** A vector file and how to read it (as @libvq/dataset's openVectors takes it). */
export interface VectorFileRef {
  readonly path: string;
  /** .memmap files: the dimension. */
  readonly dim?: number;
  /** Arrow files: the vector column. */
  readonly column?: string;
}

/** The trained index a run's encode and merge jobs share, pinned by its bytes: shards of another training are refused. */
export interface TrainedRef {
  readonly path: string;
  readonly sha256: string;
}

export interface TrainJobData {
  readonly vectors: VectorFileRef;
  readonly spec: IndexBuildSpec;
  readonly trainedPath: string;
}

export interface TrainJobResult extends TrainedRef {
  readonly bytes: number;
  readonly codeSize: number;
  readonly trainSize: number;
  readonly seconds: number;
}

export interface EncodeJobData {
  readonly vectors: VectorFileRef;
  readonly trained: TrainedRef;
  readonly start: number;
  readonly end: number;
  readonly shardPath: string;
  readonly backend?: string;
  readonly batchRows?: number;
}

export interface EncodeJobResult extends ShardFileInfo {
  readonly seconds: number;
}

export interface MergeJobData {
  readonly trained: TrainedRef;
  readonly out: string;
  /** The planned shards in row order; their files and checksums come from the encode jobs' results. */
  readonly shards: readonly { readonly start: number; readonly end: number; readonly path: string }[];
  readonly backend?: string;
}

export interface MergeJobResult {
  readonly out: string;
  readonly ntotal: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

export interface LabelJobData {
  readonly queries: VectorFileRef;
  /** The index searched (e.g. the initial index of a training run), pinned by its bytes. */
  readonly index: TrainedRef;
  readonly start: number;
  readonly end: number;
  /** Ids ranked per query (LibVQ: 1 positive + 399 negatives, + 1 when queries are documents). */
  readonly k: number;
  /** IVF lists probed (default: the index's nprobe). */
  readonly nprobe?: number;
  readonly shardPath: string;
  readonly backend?: string;
}

/** A label shard: the ranking file written, as the merge must find it. */
export interface LabelJobResult {
  readonly path: string;
  readonly start: number;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

export interface LabelMergeJobData {
  readonly out: string;
  readonly k: number;
  readonly shards: readonly { readonly start: number; readonly end: number; readonly path: string }[];
}

export interface LabelMergeJobResult {
  readonly out: string;
  readonly rows: number;
  readonly k: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

export interface EmbedJobData {
  /** A LibVQ collection or queries file: `id \t field1 \t field2 ...` per line (fields joined as preprocess joins them). */
  readonly collection: string;
  readonly firstLine: number;
  readonly endLine: number;
  readonly byteStart: number;
  readonly byteEnd: number;
  /** The model, as the worker's model loader knows it (libvq worker: a built-in name such as glove-100, or a model directory). */
  readonly model: string;
  /** Queries are embedded with the query tower (default: documents). */
  readonly isQuery?: boolean;
  readonly shardPath: string;
}

export interface EmbedMergeJobData {
  readonly out: string;
  readonly shards: readonly { readonly start: number; readonly end: number; readonly path: string }[];
}

export interface EmbedMergeJobResult {
  readonly out: string;
  readonly rows: number;
  readonly dim: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

/** What a job reports while it runs (BullMQ's job.progress): rows done of its total, and the stage it is in. */
export interface JobProgress {
  readonly done: number;
  readonly total: number;
  readonly stage?: string;
}

/** Rows [start, end) of each shard: `rows` cut into runs of `shardRows`. */
export function planShards(rows: number, shardRows: number): { start: number; end: number }[] {
  const out = [];
  for (let s = 0; s < rows; s += shardRows) out.push({ start: s, end: Math.min(rows, s + shardRows) });
  return out;
}
