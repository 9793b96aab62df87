import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { LibvqError, type LibvqErrorCode, invalidArgument } from '../errors.js';
import type { Job, Reply, RowRange } from './protocol.js';
import { collectGarbageNow } from './collect.js';
import { isTypeScriptModule, spawnWorker } from './spawn-worker.js';

// Why node:worker_threads and not piscina / tinypool: index operations have a synchronous form (searchSync,
// addSync, trainSync: scripts, and the workers themselves) and an asynchronous one (search, add, train). Both use
// these workers. The synchronous form posts the other shares, runs its own share on the calling thread, then
// blocks in Atomics.wait until the replies arrive (`threads: 2` is the calling thread plus one worker). The
// asynchronous form posts every share to workers and awaits them with Atomics.waitAsync, so the event loop stays
// free (`threads: 2` is two workers). Replies of either form may arrive in any order, so whoever drains a worker's
// port files every reply under its job id and takes its own.

/** How long a share may go without a reply before the pool checks on a starting worker again. */
const WAIT_SLICE_MS = 250;
/**
 * The young generation of an index thread. Its garbage is small per-call arrays (tables, results); with V8's
 * default the young generation grew to ~35 MB per worker over repeated searches, and the worker's freed array
 * buffers waited longer for a scavenge (GloVe, IVF1024,PQ20x4fs, 40 searches at 2 threads: worker heap 44 → 14 MB,
 * its array buffers 53 → 22 MB, process 363 → 328 MB), at no measured cost in CPU time per search (135–145 vs
 * 137–140 ms per 1,000 queries).
 */
const WORKER_YOUNG_GENERATION_MB = 4;
/** A worker that has not said it is ready (or answered) by then never started (a bootstrap that hung). */
const START_TIMEOUT_MS = 120_000;

class PoolWorker {
  started = false;
  /** Failed to start or exited: replaced on the next call. */
  broken = false;
  /** Replies drained from the port but not yet taken by their waiter. */
  private readonly replies = new Map<number, Reply>();
  /** Jobs posted and not yet answered (picks the least busy worker for an asynchronous share). */
  pending = 0;
  /** Jobs nobody waits for (a collection queued behind a busy worker's work): their replies are dropped. */
  private readonly unawaited = new Set<number>();

  constructor(
    readonly worker: Worker,
    readonly port: MessagePort,
    readonly signal: Int32Array,
  ) {}

  static spawn(): PoolWorker {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const here = import.meta.url;
    // From sources the entry is src/thread-entry.ts (it loads the modules that register jobs and replicas, then
    // ./worker.ts); tsup builds it as dist/parallel-worker.js. A path, not an import: this layer imports nothing above it.
    const entry = isTypeScriptModule(here) ? new URL('../thread-entry.ts', here) : new URL('./parallel-worker.js', here);
    const worker = spawnWorker(entry, { workerData: { port: port2, signal }, transferList: [port2], what: 'index threads', youngGenerationMb: WORKER_YOUNG_GENERATION_MB });
    worker.unref();
    // Errors reach the pool through the port; an 'error' listener only keeps an uncaught one from crashing.
    worker.on('error', () => undefined);
    port1.unref();
    return new PoolWorker(worker, port1, signal);
  }

  post(id: number, job: Job): void {
    this.pending++;
    this.port.postMessage({ id, job });
  }

  /** Posts a job whose reply nobody takes. */
  postUnawaited(id: number, job: Job): void {
    this.unawaited.add(id);
    this.post(id, job);
  }

  /** The reply to job `id` if it has arrived (draining the port), or a failure if the worker is gone; else undefined. */
  private poll(id: number, t0: number): Reply | undefined {
    for (let msg = receiveMessageOnPort(this.port); msg; msg = receiveMessageOnPort(this.port)) {
      const reply = msg.message as Reply;
      this.started = true;
      if (reply.type === 'ready') continue;
      if (reply.id === -1) {
        this.broken = true;
        return reply;
      }
      if (this.unawaited.delete(reply.id)) this.pending--;
      else this.replies.set(reply.id, reply);
    }
    const mine = this.replies.get(id);
    if (mine) {
      this.replies.delete(id);
      this.pending--;
      return mine;
    }
    if (Atomics.load(this.signal, 1) === 1) {
      this.broken = true;
      return { type: 'error', id, code: 'IO', message: 'the worker thread exited' };
    }
    if (!this.started && Date.now() - t0 > START_TIMEOUT_MS) {
      this.broken = true;
      return { type: 'error', id, code: 'IO', message: `the worker thread did not start within ${START_TIMEOUT_MS / 1000} s` };
    }
    return undefined;
  }

  /** Blocks until this worker's reply to job `id` arrives. */
  await(id: number): Reply {
    const t0 = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const reply = this.poll(id, t0);
      if (reply) return reply;
      Atomics.wait(this.signal, 0, seen, WAIT_SLICE_MS);
    }
  }

  /** Resolves with this worker's reply to job `id`; the event loop runs meanwhile. */
  async awaitAsync(id: number): Promise<Reply> {
    const t0 = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const reply = this.poll(id, t0);
      if (reply) return reply;
      const w = waitAsync(this.signal, 0, seen, WAIT_SLICE_MS);
      if (w.async) await w.value;
    }
  }
}

/** Atomics.waitAsync (Node ≥ 16; typed from lib es2024, which this package's target predates). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Worker threads shared by every index; grown on demand, never shrunk until closeThreadPool(). */
let workers: PoolWorker[] = [];
let seq = 0;

export function checkThreads(threads: unknown, name: string): number {
  if (threads === undefined) return 1;
  if (!Number.isInteger(threads) || (threads as number) < 1 || (threads as number) > 256) {
    throw invalidArgument(name, 'an integer from 1 to 256', threads);
  }
  return threads as number;
}

/**
 * Runs `local` (the calling thread's share, jobs[0]) and jobs[1..] on workers, and returns when all are done. The first
 * failure (in job order) is thrown as a LibvqError once every share has finished, so no worker is still
 * writing into shared output buffers when the caller sees the error.
 */
export function runParallel(jobs: Job[], local: () => void): void {
  while (workers.length < jobs.length - 1) workers.push(PoolWorker.spawn());
  const ids: number[] = [];
  for (let i = 1; i < jobs.length; i++) {
    const id = ++seq;
    ids.push(id);
    workers[i - 1].post(id, jobs[i]);
  }
  let failure: unknown;
  try {
    local();
  } catch (err) {
    failure = err;
  }
  for (let i = 1; i < jobs.length; i++) {
    const reply = workers[i - 1].await(ids[i - 1]);
    if (reply.type === 'error') {
      failure ??= new LibvqError((reply.code as LibvqErrorCode | undefined) ?? 'IO', `index thread ${i}: ${reply.message}`);
    }
  }
  dropBroken();
  if (failure !== undefined) throw failure;
}

function dropBroken(): void {
  const broken = workers.filter((w) => w.broken);
  if (broken.length > 0) {
    workers = workers.filter((w) => !w.broken);
    for (const w of broken) void w.worker.terminate();
  }
}

/**
 * Runs every job on a worker thread (none on the calling thread) and resolves when all are done; the calling
 * thread's event loop stays free. Each job goes to the least busy worker (the pool grows to jobs.length workers), so
 * concurrent calls share the workers. The first failure (in job order) rejects, once every share has finished.
 */
export async function runOnWorkers(jobs: Job[]): Promise<unknown[]> {
  while (workers.length < jobs.length) workers.push(PoolWorker.spawn());
  const chosen = [...workers].sort((a, b) => a.pending - b.pending).slice(0, jobs.length);
  const posted = jobs.map((job, i) => {
    const id = ++seq;
    chosen[i].post(id, job);
    return { w: chosen[i], id };
  });
  // Workers and ports are unref'd (an idle pool must not keep a process alive) and Atomics.waitAsync holds no
  // reference either: a pending call holds a timer, so the process does not exit with the call unanswered.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let replies: Reply[];
  try {
    replies = await Promise.all(posted.map(({ w, id }) => w.awaitAsync(id)));
  } finally {
    clearInterval(keepAlive);
  }
  dropBroken();
  const bad = replies.findIndex((r) => r.type === 'error');
  if (bad >= 0) {
    const r = replies[bad] as Extract<Reply, { type: 'error' }>;
    throw new LibvqError((r.code as LibvqErrorCode | undefined) ?? 'IO', `index thread ${bad + 1}: ${r.message}`);
  }
  return replies.map((r) => (r.type === 'done' ? r.result : undefined));
}

/**
 * Runs a full garbage collection on the calling thread and on every started worker (collect.ts): called after an
 * operation that handed the workers large shared buffers (k-means' sample, training residuals) and dropped them,
 * so their memory is freed now (collect.ts says why it would not be). It waits for the idle workers (those that
 * took part in the operation just ended); a worker still busy with another caller's asynchronous work collects
 * when that is done, and nobody waits for it.
 */
export function collectThreadGarbage(): void {
  collectGarbageNow();
  const idle: { w: PoolWorker; id: number }[] = [];
  for (const w of workers) {
    if (!w.started || w.broken) continue;
    const id = ++seq;
    if (w.pending === 0) {
      w.post(id, { op: 'collect' });
      idle.push({ w, id });
    } else {
      w.postUnawaited(id, { op: 'collect' });
    }
  }
  for (const { w, id } of idle) w.await(id);
  dropBroken();
}

/** Stops every worker thread (they are unref'd, so a process also exits without this). */
export async function closeThreadPool(): Promise<void> {
  const all = workers;
  workers = [];
  await Promise.all(all.map((w) => w.worker.terminate()));
}

/** Number of worker threads alive (the calling thread is not counted). */
export function threadPoolSize(): number {
  return workers.length;
}

/**
 * Guided chunks take 1 / (GUIDED_SPLIT · threads) of the rows left. Searches use them: GloVe IVF1024,PQ50x4fsr,
 * 1,000 queries, two threads, against chunks of n / 16: 0.97–1.0 / 0.93–1.0 / 0.92–0.96× the time at nprobe 8 /
 * 16 / 32 (js; native 0.91–0.93× at 32); splits of 1 and 4 were slower than 2.
 */
const GUIDED_SPLIT = 2;

/**
 * The rows of a job for `threads` threads: a shared counter and a chunk of about n / (8·threads) rows,
 * at least minChunk (smaller chunks would cost the kernels their blocking), so slow threads take fewer; `guided`:
 * chunks of a share of the rows left instead (RowRange.split).
 */
export function rowRange(n: number, threads: number, minChunk: number, guided = false): RowRange {
  const next = new Int32Array(new SharedArrayBuffer(4));
  if (guided) return { n, chunk: minChunk, split: GUIDED_SPLIT * threads, next };
  const chunk = Math.max(minChunk, Math.ceil(n / (8 * threads)));
  return { n, chunk, next };
}
