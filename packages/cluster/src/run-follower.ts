import { Job, type Queue } from 'bullmq';
import { LibvqError } from '@libvq/index-core';
import { throwIfAborted } from '@libvq/index-core/util';
import type { JobProgress } from './jobs.js';
import { describeQueue, type ClusterConnection } from './worker.js';

/** How a run is followed: progress, the workers seen, warnings, and how often Redis is read. */
export interface FollowOptions extends ClusterConnection {
  /** How often the run's state is read from Redis (default 250 ms). */
  readonly pollMs?: number;
  /** Progress of the stage running: 'train:<stage>' (the train job's own stages), 'encode' / 'label' (rows of all shards), 'merge'. */
  readonly onProgress?: (done: number, total: number, stage: string) => void;
  /** Workers connected to the queue, read with each poll (to say "waiting for workers" when there are none). */
  readonly onWorkers?: (count: number) => void;
  /** Redis settings a run should not have (maxmemory-policy other than noeviction). */
  readonly onWarning?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The shards a parent job waits for: their job ids, the rows they cover, and the stage name their progress has. */
export interface ShardWatch {
  readonly ids: readonly string[];
  readonly rows: number;
  readonly stage: string;
}

/** Reads a run's jobs from Redis until one finishes, reporting progress; a job failed for good throws JOB_FAILED. */
export class RunFollower {
  constructor(
    private readonly queue: Queue,
    private readonly o: FollowOptions,
  ) {}

  /** Seconds the finished shards' jobs reported (their own work, without queueing), summed; see ShardWatch. */
  shardSeconds = 0;

  async untilDone(id: string, stage: string, what: string, shards?: ShardWatch): Promise<unknown> {
    const finished = new Map<string, number>();
    let shardsReported = false;
    const jobBar = jobReporter(this.o.onProgress);
    for (;;) {
      throwIfAborted(this.o.signal, `${what} (the run goes on on the workers)`);
      // The state first, then the job: a job read first could finish before its state is read, and the copy read would
      // hold no result (a 3-worker CI run's train job came back completed with a null result). A job seen finished
      // stays so, and is read with its result.
      const state = await this.queue.getJobState(id);
      const job = await Job.fromId(this.queue, id);
      if (!job) throw new LibvqError('JOB_FAILED', `${what}: not found in ${describeQueue(this.o)} (removed, or Redis lost its data: run Redis with appendonly yes)`);
      if (state === 'completed') {
        if (job.returnvalue == null) throw new LibvqError('JOB_FAILED', `${what}: completed without a result in ${describeQueue(this.o)}`);
        if (shards && !shardsReported) this.o.onProgress?.(shards.rows, shards.rows, shards.stage);
        jobBar.finish();
        if (shards) this.shardSeconds = await this.secondsOf(shards.ids);
        return job.returnvalue;
      }
      if (state === 'failed') throw new LibvqError('JOB_FAILED', await this.failure(job, what, shards?.ids));
      this.o.onWorkers?.(await this.queue.getWorkersCount());
      if (shards && state === 'waiting-children') await this.reportShards(shards, finished);
      else {
        // Every shard is in: the shards' stage gets its last report, once, before the parent's own.
        if (shards && !shardsReported) this.o.onProgress?.(shards.rows, shards.rows, shards.stage);
        shardsReported = true;
        jobBar.report(job.progress, stage);
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 250));
    }
  }

  /** Rows done: the finished shards' rows plus the running ones' progress. */
  private async reportShards(s: ShardWatch, finished: Map<string, number>): Promise<void> {
    let running = 0;
    for (const id of s.ids) {
      if (finished.has(id)) continue;
      const child = await Job.fromId(this.queue, id);
      if (!child) continue;
      if (child.finishedOn && !child.failedReason && child.returnvalue) finished.set(id, (child.returnvalue as { rows: number }).rows);
      else if (isProgress(child.progress)) running += child.progress.done;
    }
    let done = running;
    for (const r of finished.values()) done += r;
    this.o.onProgress?.(done, s.rows, s.stage);
  }

  private async secondsOf(ids: readonly string[]): Promise<number> {
    let total = 0;
    for (const id of ids) total += ((await Job.fromId(this.queue, id))?.returnvalue as { seconds?: number } | undefined)?.seconds ?? 0;
    return total;
  }

  /** Why a job failed: its own reason, or for a parent, the shard whose failure failed it. */
  private async failure(job: Job, what: string, shardIds?: readonly string[]): Promise<string> {
    for (const id of shardIds ?? []) {
      const child = await Job.fromId(this.queue, id);
      if (child && (await child.getState()) === 'failed') {
        const d = child.data as { start?: number; end?: number; firstLine?: number; endLine?: number; vectors?: { path: string }; queries?: { path: string }; collection?: string };
        const file = d.vectors?.path ?? d.queries?.path ?? d.collection ?? '?';
        const range = d.firstLine !== undefined ? `lines [${d.firstLine}, ${d.endLine})` : `rows [${d.start}, ${d.end})`;
        return `${child.name} job ${id} (${range} of ${file}) failed after ${child.attemptsMade} attempt(s): ${child.failedReason}`;
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
function jobReporter(onProgress: FollowOptions['onProgress']): { report(p: unknown, stage: string): void; finish(): void } {
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
