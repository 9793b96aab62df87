import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { LibvqError, deserializeIndex, serializeIndex, writeIndex, type Index } from '@libvq/index-core';
import { writeFileAtomic } from '@libvq/index-core/util';
import { defaultBatchRows, openVectors, planIndexBuild, sampleVectors } from '@libvq/dataset';
import type {
  EncodeJobData, EncodeJobResult, JobProgress, MergeJobData, MergeJobResult, TrainJobData, TrainJobResult, TrainedRef,
} from './jobs.js';
import { readShardFile, sha256Hex, writeShardFile, type ShardFileInfo } from './shard-file.js';

/*
 * What each job does, as plain async functions of its data (the BullMQ worker, worker.ts, calls them; so can a test
 * or a single process). Each reads its inputs, verifies them, and writes its one output atomically.
 */

export type ReportProgress = (p: JobProgress) => void | Promise<void>;

/** Rows encoded between progress reports and event-loop turns (BullMQ renews the job's lock on a timer). */
const ENCODE_BATCH_ROWS = 16_384;

/** Trains the index the spec describes on its seeded sample and writes it, empty, to trainedPath. */
export async function runTrainJob(data: TrainJobData, report: ReportProgress = () => {}): Promise<TrainJobResult> {
  const t0 = performance.now();
  const src = await openVectors(data.vectors.path, { dim: data.vectors.dim, column: data.vectors.column });
  try {
    const { index, trainSize } = planIndexBuild(src, data.spec);
    await report({ done: 0, total: trainSize, stage: 'sample' });
    const sample = await sampleVectors(src, trainSize, data.spec.seed);
    // train() runs on a worker thread: this thread stays free to renew the job's lock.
    await index.train(sample, { seed: data.spec.seed, onProgress: (done, total, stage) => void report({ done, total, stage }) });
    const bytes = serializeIndex(index);
    await writeFileAtomic(data.trainedPath, [bytes]);
    return { path: data.trainedPath, sha256: sha256Hex(bytes), bytes: bytes.length, codeSize: index.codeSize, trainSize, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await src.close();
  }
}

/** The trained index of a run, refused unless its bytes are the ones the train job wrote. */
export async function loadTrainedIndex(ref: TrainedRef, backend?: string): Promise<Index> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(ref.path);
  } catch (e) {
    throw new LibvqError('IO', `trained index ${ref.path}: cannot read it (${(e as Error).message})`, { cause: e });
  }
  const sha = sha256Hex(bytes);
  if (sha !== ref.sha256) {
    throw new LibvqError('BAD_FILE', `trained index ${ref.path}: sha256 ${sha.slice(0, 16)}…, the run's train job wrote ${ref.sha256.slice(0, 16)}…: every shard must be encoded by the one trained index`);
  }
  const index = deserializeIndex(bytes, { backend, name: ref.path });
  if (!index.isTrained) throw new LibvqError('BAD_FILE', `trained index ${ref.path}: the index is not trained`);
  return index;
}

/** Encodes rows [start, end) with the trained index into one shard file. */
export async function runEncodeJob(data: EncodeJobData, report: ReportProgress = () => {}): Promise<EncodeJobResult> {
  const t0 = performance.now();
  const { start, end } = data;
  const index = await loadTrainedIndex(data.trained, data.backend);
  const src = await openVectors(data.vectors.path, { dim: data.vectors.dim, column: data.vectors.column });
  try {
    if (src.dim !== index.d) throw new LibvqError('DIMENSION_MISMATCH', `${src.path}: vectors of dimension ${src.dim}, the trained index ${data.trained.path} takes ${index.d}`);
    const rows = end - start;
    const codes = new Uint8Array(rows * index.codeSize);
    let lists: Int32Array | undefined;
    let done = 0;
    const batchRows = Math.min(data.batchRows ?? defaultBatchRows(src.dim), ENCODE_BATCH_ROWS);
    for await (const b of src.batches(batchRows, { start, end })) {
      const enc = index.encode(b.matrix);
      codes.set(enc.codes, done * index.codeSize);
      if (enc.lists) (lists ??= new Int32Array(rows)).set(enc.lists, done);
      done += b.matrix.rows;
      await report({ done, total: rows, stage: 'encode' });
      await yieldToEventLoop();
    }
    const info = await writeShardFile(data.shardPath, { start, rows, codes, ...(lists ? { lists } : {}) }, index.codeSize);
    return { ...info, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await src.close();
  }
}

/**
 * Adds every shard to the trained index in row order (ids = row numbers, as `libvq build` gives them) and writes
 * the index. `results` are the encode jobs' results: each shard must be there, cover its planned rows, and read
 * back with the sha256 its job reported.
 */
export async function runMergeJob(data: MergeJobData, results: readonly ShardFileInfo[], report: ReportProgress = () => {}): Promise<MergeJobResult> {
  const t0 = performance.now();
  const index = await loadTrainedIndex(data.trained, data.backend);
  const byStart = new Map(results.map((r) => [r.start, r]));
  const total = data.shards.length === 0 ? 0 : data.shards[data.shards.length - 1].end;
  let next = 0;
  for (const planned of data.shards) {
    if (planned.start !== next) throw new LibvqError('INTERNAL', `merge: the planned shards leave rows [${next}, ${planned.start}) out`);
    const info = byStart.get(planned.start);
    if (!info || info.path !== planned.path || info.rows !== planned.end - planned.start) {
      throw new LibvqError('JOB_FAILED', `merge: no finished encode job reported shard ${planned.path} (rows [${planned.start}, ${planned.end}))`);
    }
    index.addEncoded(await readShardFile(info, index.codeSize));
    next = planned.end;
    await report({ done: next, total, stage: 'merge' });
    await yieldToEventLoop();
  }
  await writeIndex(index, data.out);
  const bytes = await readFile(data.out);
  return { out: data.out, ntotal: index.ntotal, bytes: bytes.length, sha256: sha256Hex(bytes), seconds: (performance.now() - t0) / 1000 };
}
