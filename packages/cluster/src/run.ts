import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { FlowProducer, Job, Queue, type JobsOptions } from 'bullmq';
import { invalidArgument } from '@libvq/index-core/util';
import { checkRedis } from './preflight.js';
import { RunFollower, type FollowOptions } from './run-follower.js';
import { DEFAULT_QUEUE, connectionOf, describeQueue } from './worker.js';

/** What every cluster run takes besides its own inputs. */
export interface RunOptions extends FollowOptions {
  /** The output file, on the storage every worker shares. */
  readonly out: string;
  /** Rows per job (default 100,000). */
  readonly shardRows?: number;
  /** Where the run's intermediate files go (shared storage; default `<out>.run-<run>`). */
  readonly workDir?: string;
  /**
   * The run's name, the prefix of its job ids (default: a fresh random one). Giving the name of an earlier run
   * follows that run where it is (after the enqueuer itself was stopped) instead of starting another.
   */
  readonly run?: string;
  /** Attempts per job before it fails for good (default 3), with exponential backoff from backoffMs (default 2 s). */
  readonly attempts?: number;
  readonly backoffMs?: number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A fresh run name: time-ordered, with a random tail (two enqueuers started in the same millisecond differ). */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** An open run: its queue, its names and paths, and the two ways it enqueues work. */
export class Run {
  readonly id: string;
  readonly out: string;
  readonly workDir: string;
  readonly shardRows: number;
  readonly follow: RunFollower;
  private readonly queue: Queue;
  private readonly flows: FlowProducer;
  private readonly queueName: string;
  private readonly jobOpts: JobsOptions;

  private constructor(o: RunOptions) {
    this.id = o.run ?? newRunId();
    if (!ID.test(this.id)) throw invalidArgument('run', 'letters, digits, "-" or "_" (at most 64)', this.id);
    this.shardRows = o.shardRows ?? 100_000;
    if (!Number.isSafeInteger(this.shardRows) || this.shardRows < 1) throw invalidArgument('shardRows', 'a positive integer', this.shardRows);
    this.out = resolve(o.out);
    this.workDir = resolve(o.workDir ?? `${this.out}.run-${this.id}`);
    const connection = connectionOf(o.redis);
    this.queueName = o.queue ?? DEFAULT_QUEUE;
    this.queue = new Queue(this.queueName, { connection });
    this.flows = new FlowProducer({ connection });
    this.jobOpts = { attempts: o.attempts ?? 3, backoff: { type: 'exponential', delay: o.backoffMs ?? 2000 }, removeOnComplete: false, removeOnFail: false };
    this.follow = new RunFollower(this.queue, o);
  }

  /** Checks Redis (one clear error if it cannot be used), makes the work directory, connects. */
  static async open(o: RunOptions): Promise<Run> {
    await checkRedis(connectionOf(o.redis), describeQueue(o), o.onWarning);
    const run = new Run(o);
    try {
      await mkdir(run.workDir, { recursive: true });
      await run.queue.waitUntilReady();
    } catch (e) {
      await run.close();
      throw e;
    }
    return run;
  }

  /** One job `name` (id `<run>.<name>`), then its result once done. Enqueued once: a re-attached run follows it. */
  async job(name: string, data: object, stage: string): Promise<unknown> {
    const id = `${this.id}.${name}`;
    await this.queue.add(name, data, { ...this.jobOpts, jobId: id });
    return this.follow.untilDone(id, stage, `${name} job ${id}`);
  }

  /**
   * One job per shard (`<run>.<childName>.<i>`) as the children of `parentName` (a BullMQ flow: the parent runs
   * once every child is done, with their results); a child that fails for good fails the parent, so the run ends
   * with its error instead of waiting. Returns the parent's result.
   */
  async shardFlow(parentName: string, parentData: object, childName: string, children: readonly object[], rows: number): Promise<{ result: unknown; shardSeconds: number }> {
    const parentId = `${this.id}.${parentName}`;
    const ids = children.map((_, i) => `${this.id}.${childName}.${i}`);
    if (!(await Job.fromId(this.queue, parentId))) {
      await this.flows.add({
        name: parentName,
        queueName: this.queueName,
        data: parentData,
        opts: { ...this.jobOpts, jobId: parentId },
        children: children.map((data, i) => ({ name: childName, queueName: this.queueName, data, opts: { ...this.jobOpts, jobId: ids[i], failParentOnFailure: true } })),
      });
    }
    const result = await this.follow.untilDone(parentId, parentName, `${parentName} job ${parentId}`, { ids, rows, stage: childName });
    return { result, shardSeconds: this.follow.shardSeconds };
  }

  async close(): Promise<void> {
    await this.flows.close();
    await this.queue.close();
  }
}
