import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FlowProducer, Job, Queue, type JobsOptions } from 'bullmq';
import { LibvqError } from '@libvq/index-core';
import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import { openVectors, planIndexBuild, type IndexBuildSpec } from '@libvq/dataset';
import {
  planShards, type EncodeJobData, type EncodeJobResult, type JobProgress, type MergeJobData, type MergeJobResult, type TrainJobData,
  type TrainJobResult, type VectorFileRef,
} from './jobs.js';
import { checkRedis } from './preflight.js';
import { DEFAULT_QUEUE, connectionOf, describeQueue, type ClusterConnection } from './worker.js';

export interface ClusterBuildOptions extends ClusterConnection {
  /** The corpus, on storage every worker reads at the same path. */
  readonly vectors: VectorFileRef;
  readonly spec: IndexBuildSpec;
  /** The index file to write (faiss format), on the shared storage. */
  readonly out: string;
  /** Rows per encode job (default 100,000). */
  readonly shardRows?: number;
  /** Where the trained index and the shards go (shared storage; default `<out>.run-<run>`). */
  readonly workDir?: string;
  /**
   * The run's name, the prefix of its job ids (default: a fresh random one). Giving the name of an earlier run
   * follows that run where it is (after the enqueuer itself was stopped) instead of starting another.
   */
  readonly run?: string;
  /** Attempts per job before it fails for good (default 3), with exponential backoff from backoffMs (default 2 s). */
  readonly attempts?: number;
  readonly backoffMs?: number;
  /** How often the run's state is read from Redis (default 250 ms). */
  readonly pollMs?: number;
  /** Progress of the stage running: 'train' (the training job's own stages), 'encode' (rows of all shards), 'merge'. */
  readonly onProgress?: (done: number, total: number, stage: string) => void;
  /** Workers connected to the queue, read with each poll (to say "waiting for workers" when there are none). */
  readonly onWorkers?: (count: number) => void;
  /** Redis settings a run should not have (maxmemory-policy other than noeviction). */
  readonly onWarning?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ClusterBuildResult extends MergeJobResult {
  readonly run: string;
  readonly shards: number;
  readonly train: TrainJobResult;
  /** Seconds from enqueueing to the merged index. */
  readonly wallSeconds: number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Builds an index on the workers of a BullMQ queue: one train job, then one encode job per shard of rows as the
 * children of one merge job (a BullMQ flow: the merge runs once every shard is encoded). The index equals `libvq
 * build`'s with the same spec and seed, byte for byte, whatever the number of workers and the order shards finish
 * in. Follows the run until the index is written; a job that fails for good (its retries spent) ends the run with
 * an error naming the job, its rows and its reason.
 */
export async function buildOnCluster(o: ClusterBuildOptions): Promise<ClusterBuildResult> {
  const t0 = performance.now();
  const run = o.run ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  if (!ID.test(run)) throw invalidArgument('run', 'letters, digits, "-" or "_" (at most 64)', run);
  const shardRows = o.shardRows ?? 100_000;
  if (!Number.isSafeInteger(shardRows) || shardRows < 1) throw invalidArgument('shardRows', 'a positive integer', shardRows);
  const out = resolve(o.out);
  const vectors: VectorFileRef = { ...o.vectors, path: resolve(o.vectors.path) };
  const workDir = resolve(o.workDir ?? `${out}.run-${run}`);
  // The file is opened here only to plan: its rows, and the spec checked against it before anything is enqueued.
  const src = await openVectors(vectors.path, { dim: vectors.dim, column: vectors.column });
  const rows = src.rows;
  try {
    planIndexBuild(src, o.spec);
  } finally {
    await src.close();
  }
  await mkdir(workDir, { recursive: true });

  const connection = connectionOf(o.redis);
  await checkRedis(connection, describeQueue(o), o.onWarning);
  const queueName = o.queue ?? DEFAULT_QUEUE;
  const queue = new Queue(queueName, { connection });
  const flows = new FlowProducer({ connection });
  const jobOpts: JobsOptions = {
    attempts: o.attempts ?? 3,
    backoff: { type: 'exponential', delay: o.backoffMs ?? 2000 },
    removeOnComplete: false,
    removeOnFail: false,
  };
  const follow = new RunFollower(queue, o);
  try {
    await queue.waitUntilReady();
    // 1. Train once.
    const trainData: TrainJobData = { vectors, spec: o.spec, trainedPath: join(workDir, 'trained.faiss') };
    const trainId = `${run}.train`;
    await queue.add('train', trainData, { ...jobOpts, jobId: trainId });
    const train = (await follow.untilDone(trainId, 'train', `train job ${trainId}`)) as TrainJobResult;
    const trained = { path: train.path, sha256: train.sha256 };

    // 2. Encode the shards (children) and merge them (parent), as one flow.
    const shards = planShards(rows, shardRows).map((s, i) => ({ ...s, path: join(workDir, `shard-${String(i).padStart(6, '0')}.lvqs`) }));
    const mergeId = `${run}.merge`;
    if (!(await Job.fromId(queue, mergeId))) {
      const mergeData: MergeJobData = { trained, out, shards, backend: o.spec.backend };
      await flows.add({
        name: 'merge',
        queueName,
        data: mergeData,
        opts: { ...jobOpts, jobId: mergeId },
        children: shards.map((s, i) => ({
          name: 'encode',
          queueName,
          data: { vectors, trained, start: s.start, end: s.end, shardPath: s.path, backend: o.spec.backend } satisfies EncodeJobData,
          // A child that fails for good fails the merge: the run ends with its error instead of waiting forever.
          opts: { ...jobOpts, jobId: `${run}.encode.${i}`, failParentOnFailure: true },
        })),
      });
    }
    const shardIds = shards.map((_, i) => `${run}.encode.${i}`);
    const merged = (await follow.untilDone(mergeId, 'merge', `merge job ${mergeId}`, { shardIds, rows })) as MergeJobResult;
    return { ...merged, run, shards: shards.length, train, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await flows.close();
    await queue.close();
  }
}

/** Reads a run's jobs from Redis until one finishes, reporting progress; a job failed for good throws JOB_FAILED. */
class RunFollower {
  constructor(
    private readonly queue: Queue,
    private readonly o: ClusterBuildOptions,
  ) {}

  async untilDone(id: string, stage: string, what: string, shards?: { shardIds: string[]; rows: number }): Promise<unknown> {
    const encoded = new Map<string, number>();
    let shardsReported = false;
    const jobBar = jobReporter(this.o.onProgress);
    for (;;) {
      throwIfAborted(this.o.signal, `${what} (the run goes on on the workers)`);
      const job = await Job.fromId(this.queue, id);
      if (!job) throw new LibvqError('JOB_FAILED', `${what}: not found in ${describeQueue(this.o)} (removed, or Redis lost its data: run Redis with appendonly yes)`);
      const state = await job.getState();
      if (state === 'completed') {
        if (shards && !shardsReported) this.o.onProgress?.(shards.rows, shards.rows, 'encode');
        jobBar.finish();
        return job.returnvalue;
      }
      if (state === 'failed') throw new LibvqError('JOB_FAILED', await this.failure(job, what, shards?.shardIds));
      this.o.onWorkers?.(await this.queue.getWorkersCount());
      if (shards && state === 'waiting-children') await this.reportShards(shards, encoded);
      else {
        // Every shard is in: the encode stage's last report, once, before the merge's own.
        if (shards && !shardsReported) this.o.onProgress?.(shards.rows, shards.rows, 'encode');
        shardsReported = true;
        jobBar.report(job.progress, stage);
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 250));
    }
  }

  /** Rows encoded: the finished shards' rows plus the running ones' progress. */
  private async reportShards(s: { shardIds: string[]; rows: number }, encoded: Map<string, number>): Promise<void> {
    let running = 0;
    for (const id of s.shardIds) {
      if (encoded.has(id)) continue;
      const child = await Job.fromId(this.queue, id);
      if (!child) continue;
      if (child.finishedOn && !child.failedReason && child.returnvalue) encoded.set(id, (child.returnvalue as EncodeJobResult).rows);
      else if (isProgress(child.progress)) running += child.progress.done;
    }
    let done = running;
    for (const r of encoded.values()) done += r;
    this.o.onProgress?.(done, s.rows, 'encode');
  }

  /** Why a job failed: its own reason, or for the merge, the shard whose failure failed it. */
  private async failure(job: Job, what: string, shardIds?: string[]): Promise<string> {
    for (const id of shardIds ?? []) {
      const child = await Job.fromId(this.queue, id);
      if (child && (await child.getState()) === 'failed') {
        const d = child.data as EncodeJobData;
        return `encode job ${id} (rows [${d.start}, ${d.end}) of ${d.vectors.path}) failed after ${child.attemptsMade} attempt(s): ${child.failedReason}`;
      }
    }
    return `${what} failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`;
  }
}

function isProgress(p: unknown): p is JobProgress {
  return typeof p === 'object' && p !== null && typeof (p as JobProgress).done === 'number' && typeof (p as JobProgress).total === 'number';
}

/**
 * Passes a job's progress on. Polling sees samples of it, so a stage the job left between two polls is first
 * reported finished (its total), as it was, before the next stage's report.
 */
function jobReporter(onProgress: ClusterBuildOptions['onProgress']): { report(p: unknown, stage: string): void; finish(): void } {
  let last: { done: number; total: number; stage: string } | null = null;
  const finish = () => {
    if (last && last.done < last.total) onProgress?.(last.total, last.total, last.stage);
    last = null;
  };
  return {
    report(p, stage) {
      if (!isProgress(p)) return;
      const name = p.stage ? `${stage}:${p.stage}` : stage;
      if (last && last.stage !== name) finish();
      last = { done: p.done, total: p.total, stage: name };
      onProgress?.(p.done, p.total, name);
    },
    finish,
  };
}
