import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import {
  JOB_NAMES, type EmbedJobData, type EmbedMergeJobData, type EncodeJobData, type EncodeJobResult, type JobProgress, type LabelJobData, type LabelJobResult,
  type LabelMergeJobData, type MergeJobData, type TrainJobData,
} from './jobs.js';
import { runEmbedJob, runEmbedMergeJob, type EmbedJobResult, type ModelLoader, type TextModel } from './process-embed.js';
import { runEncodeJob, runLabelJob, runLabelMergeJob, runMergeJob, runTrainJob } from './process-jobs.js';
import { checkRedis } from './preflight.js';
import { redactRedisUrl, redisConnection } from './redis-url.js';

export const DEFAULT_QUEUE = 'libvq';

/** How a worker reaches Redis and how BullMQ watches its jobs. */
export interface ClusterConnection {
  /** redis://[user[:password]@]host[:port][/db], rediss:// for TLS, or ioredis options (give maxRetriesPerRequest: null, as BullMQ asks). */
  readonly redis: string | ConnectionOptions;
  /** The BullMQ queue (default "libvq"): a run's enqueuer and its workers must name the same one. */
  readonly queue?: string;
}

export interface WorkerOptions extends ClusterConnection {
  /** Jobs this process runs at once (default 1: a job already uses its `threads`). */
  readonly concurrency?: number;
  /**
   * How long a job's lock lasts without renewal (default 30 s, BullMQ's). A worker that dies (kill -9, a machine
   * lost) stops renewing; after this its job is found stalled and run again by another worker.
   */
  readonly lockMs?: number;
  /** How often this worker looks for stalled jobs (default: lockMs). */
  readonly stalledCheckMs?: number;
  /** Times a job may stall (its worker die) before it fails for good (default 3). */
  readonly maxStalledCount?: number;
  /** One line per job started, finished or failed (no credentials: the Redis URL is never part of it). */
  readonly log?: (line: string) => void;
  /** Loads the text model an embed job names (libvq worker: its built-in models and model directories); kept per name. */
  readonly loadModel?: ModelLoader;
}

export interface ClusterWorker {
  /** Finishes the running jobs, then disconnects. */
  close(): Promise<void>;
}

/**
 * Serves a queue's train, encode and merge jobs in this process until closed. Resolves once connected and waiting
 * for jobs; an unreachable Redis or refused credentials reject at once (checkRedis).
 */
export async function startWorker(o: WorkerOptions): Promise<ClusterWorker> {
  const queue = o.queue ?? DEFAULT_QUEUE;
  const lockMs = positive('lockMs', o.lockMs ?? 30_000);
  const log = o.log ?? (() => {});
  const connection = connectionOf(o.redis);
  await checkRedis(connection, describeQueue(o), log);
  const models = new Map<string, Promise<TextModel>>();
  const model = (name: string): Promise<TextModel> => {
    if (!o.loadModel) throw new LibvqError('UNSUPPORTED', `embed job: this worker has no model loader (startWorker({ loadModel }); \`libvq worker\` has one)`);
    let m = models.get(name);
    if (!m) {
      m = o.loadModel(name);
      models.set(name, m);
      m.catch(() => models.delete(name));
    }
    return m;
  };
  const worker = new Worker(queue, (job: Job) => processJob(job, model), {
    connection,
    concurrency: positive('concurrency', o.concurrency ?? 1),
    lockDuration: lockMs,
    stalledInterval: positive('stalledCheckMs', o.stalledCheckMs ?? lockMs),
    maxStalledCount: positive('maxStalledCount', o.maxStalledCount ?? 3),
    autorun: true,
  });
  worker.on('active', (job) => log(`${job.name} ${job.id} started${job.attemptsMade > 0 ? ` (attempt ${job.attemptsMade + 1})` : ''}`));
  worker.on('completed', (job) => log(`${job.name} ${job.id} done`));
  worker.on('failed', (job, err) => log(`${job?.name ?? 'job'} ${job?.id ?? ''} failed: ${err.message}`));
  // Connection trouble is retried by ioredis (a Redis restart is waited out); it is reported, never thrown.
  worker.on('error', (err) => log(`worker: ${err.message}`));
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}

export function connectionOf(redis: string | ConnectionOptions): ConnectionOptions {
  return typeof redis === 'string' ? redisConnection(redis) : redis;
}

/** The queue's name for messages, with the Redis URL redacted. */
export function describeQueue(c: ClusterConnection): string {
  const where = typeof c.redis === 'string' ? redactRedisUrl(c.redis) : `${String((c.redis as { host?: string }).host ?? '127.0.0.1')}:${String((c.redis as { port?: number }).port ?? 6379)}`;
  return `queue "${c.queue ?? DEFAULT_QUEUE}" on ${where}`;
}

async function processJob(job: Job, model: (name: string) => Promise<TextModel>): Promise<unknown> {
  const report = progressReporter(job);
  try {
    switch (job.name) {
      case 'train':
        return await runTrainJob(job.data as TrainJobData, report);
      case 'encode':
        return await runEncodeJob(job.data as EncodeJobData, report);
      case 'merge': {
        const values = Object.values(await job.getChildrenValues<EncodeJobResult>());
        return await runMergeJob(job.data as MergeJobData, values, report);
      }
      case 'label':
        return await runLabelJob(job.data as LabelJobData, report);
      case 'label-merge': {
        const values = Object.values(await job.getChildrenValues<LabelJobResult>());
        return await runLabelMergeJob(job.data as LabelMergeJobData, values, report);
      }
      case 'embed': {
        const d = job.data as EmbedJobData;
        return await runEmbedJob(d, await model(d.model), report);
      }
      case 'embed-merge': {
        const values = Object.values(await job.getChildrenValues<EmbedJobResult>());
        return await runEmbedMergeJob(job.data as EmbedMergeJobData, values, report);
      }
      default:
        throw new LibvqError('UNSUPPORTED', `job "${job.name}" (${job.id}): this worker runs ${JOB_NAMES.join(', ')} jobs`);
    }
  } catch (e) {
    // BullMQ keeps only the message: the code goes in front of it, so the enqueuer can report what failed and why.
    if (e instanceof LibvqError) throw new Error(`${e.code}: ${e.message}`);
    throw e;
  }
}

/** job.updateProgress at most every 250 ms (and always the last report of a stage), so Redis is not flooded. */
function progressReporter(job: Job): (p: JobProgress) => Promise<void> {
  let last = 0;
  return async (p) => {
    const now = performance.now();
    if (now - last < 250 && p.done < p.total) return;
    last = now;
    await job.updateProgress({ ...p });
  };
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw invalidArgument(name, 'a positive integer', v);
  return v;
}
