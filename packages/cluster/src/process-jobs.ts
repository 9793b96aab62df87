import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { LibvqError, deserializeIndex, serializeIndex, writeIndex, type Index } from '@libvq/index-core';
import { writeFileAtomic } from '@libvq/index-core/util';
import { defaultBatchRows, openVectors, planIndexBuild, sampleVectors } from '@libvq/dataset';
import { decodeRanking, writeRankingFile } from '@libvq/train/fit';
import type {
  EncodeJobData, EncodeJobResult, JobProgress, LabelJobData, LabelJobResult, LabelMergeJobData, LabelMergeJobResult, MergeJobData, MergeJobResult,
  TrainJobData, TrainJobResult, TrainedRef,
} from './jobs.js';
import { readAsReported, readShardFile, readVerified, sha256Hex, writeShardFile, type ShardFileInfo } from './shard-file.js';

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

/**
 * The last index a read-only job (encode, label) loaded in this process, by path, sha256 and backend: a worker
 * takes many shards of one run, and deserializing the index for each (a 10^6-entry index for label mining) would
 * be most of a small job. The file is still read and its sha256 checked every time.
 */
let cached: { key: string; index: Index } | null = null;

async function loadReadOnlyIndex(ref: TrainedRef, backend?: string): Promise<Index> {
  const key = `${ref.path}\0${ref.sha256}\0${backend ?? ''}`;
  const bytes = await readPinned(ref);
  if (cached?.key === key) return cached.index;
  cached = null;
  const index = indexOf(bytes, ref, backend);
  cached = { key, index };
  return index;
}

/** The trained index of a run, refused unless its bytes are the ones the train job wrote. */
export async function loadTrainedIndex(ref: TrainedRef, backend?: string): Promise<Index> {
  return indexOf(await readPinned(ref), ref, backend);
}

/** An index file's bytes, if they are the ones the run pinned (its sha256). */
function readPinned(ref: TrainedRef): Promise<Uint8Array> {
  return readVerified(ref.path, ref.sha256, 'trained index', (sha) =>
    `sha256 ${sha.slice(0, 16)}…, the run's train job wrote ${ref.sha256.slice(0, 16)}…: every shard must be encoded by the one trained index`);
}

function indexOf(bytes: Uint8Array, ref: TrainedRef, backend?: string): Index {
  const index = deserializeIndex(bytes, { backend, name: ref.path });
  if (!index.isTrained) throw new LibvqError('BAD_FILE', `trained index ${ref.path}: the index is not trained`);
  return index;
}

/** Encodes rows [start, end) with the trained index into one shard file. */
export async function runEncodeJob(data: EncodeJobData, report: ReportProgress = () => {}): Promise<EncodeJobResult> {
  const t0 = performance.now();
  const { start, end } = data;
  const index = await loadReadOnlyIndex(data.trained, data.backend);
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

/** Queries searched per batch of a label job (a progress report and an event-loop turn between batches). */
const LABEL_BATCH_ROWS = 4096;

/** Searches rows [start, end) of the queries in the index (top k, nprobe lists) and writes their ranking. */
export async function runLabelJob(data: LabelJobData, report: ReportProgress = () => {}): Promise<LabelJobResult> {
  const t0 = performance.now();
  const { start, end, k } = data;
  const index = await loadReadOnlyIndex(data.index, data.backend);
  const src = await openVectors(data.queries.path, { dim: data.queries.dim, column: data.queries.column });
  try {
    if (src.dim !== index.d) throw new LibvqError('DIMENSION_MISMATCH', `${src.path}: queries of dimension ${src.dim}, the index ${data.index.path} takes ${index.d}`);
    const rows = end - start;
    const ids = new Float64Array(rows * k);
    let done = 0;
    for await (const b of src.batches(LABEL_BATCH_ROWS, { start, end })) {
      // search() runs on a worker thread: this one stays free to renew the job's lock.
      const r = await index.search(b.matrix, { k, nprobe: data.nprobe });
      ids.set(r.labels, done * k);
      done += b.matrix.rows;
      await report({ done, total: rows, stage: 'label' });
    }
    const bytes = await writeRankingFile(data.shardPath, { start, rows, k, ids });
    return { path: data.shardPath, start, rows, bytes: bytes.length, sha256: sha256Hex(bytes), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await src.close();
  }
}

/** Concatenates the label shards, in row order, into one ranking file (each read back as its job reported it). */
export async function runLabelMergeJob(data: LabelMergeJobData, results: readonly LabelJobResult[], report: ReportProgress = () => {}): Promise<LabelMergeJobResult> {
  const t0 = performance.now();
  const byStart = new Map(results.map((r) => [r.start, r]));
  const rows = data.shards.length === 0 ? 0 : data.shards[data.shards.length - 1].end;
  const ids = new Float64Array(rows * data.k);
  for (const planned of data.shards) {
    const info = byStart.get(planned.start);
    if (!info || info.path !== planned.path || info.rows !== planned.end - planned.start) {
      throw new LibvqError('JOB_FAILED', `label-merge: no finished label job reported shard ${planned.path} (rows [${planned.start}, ${planned.end}))`);
    }
    const r = decodeRanking(await readAsReported(info, 'label shard'), planned.path);
    if (r.start !== planned.start || r.rows !== info.rows || r.k !== data.k) {
      throw new LibvqError('BAD_FILE', `label shard ${planned.path}: rows [${r.start}, ${r.start + r.rows}) of ${r.k} ids, expected [${planned.start}, ${planned.end}) of ${data.k}`);
    }
    ids.set(r.ids, planned.start * data.k);
    await report({ done: planned.end, total: rows, stage: 'merge' });
  }
  const bytes = await writeRankingFile(data.out, { start: 0, rows, k: data.k, ids });
  return { out: data.out, rows, k: data.k, bytes: bytes.length, sha256: sha256Hex(bytes), seconds: (performance.now() - t0) / 1000 };
}
