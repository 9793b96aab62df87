import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { LibvqError, type LibvqErrorCode, invalidArgument } from '../errors.js';
import type { Job, Reply, RowRange } from './protocol.js';
import { isTypeScriptModule, spawnWorker } from './spawn-worker.js';

// Why node:worker_threads and not piscina / tinypool: every index operation in index-core is synchronous
// (search, add, train), and so are its callers (CLI, train package). A promise-based pool would force an
// async API everywhere. Here the calling thread posts the other shares, runs its own share, then blocks in
// Atomics.wait until the workers' replies arrive — so `threads: 2` is the main thread plus one worker, and
// the API stays synchronous.

/** How long a share may go without a reply before the pool checks on a starting worker again. */
const WAIT_SLICE_MS = 250;
/** A worker that has not answered its first job by then never started (a bootstrap that hung). */
const START_TIMEOUT_MS = 120_000;

class PoolWorker {
  started = false;
  /** Failed to start or exited: replaced on the next call. */
  broken = false;

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
    const worker = spawnWorker(entry, { workerData: { port: port2, signal }, transferList: [port2], what: 'index threads' });
    worker.unref();
    // Errors reach the pool through the port; an 'error' listener only keeps an uncaught one from crashing.
    worker.on('error', () => undefined);
    port1.unref();
    return new PoolWorker(worker, port1, signal);
  }

  /** Blocks until this worker's reply to job `id` arrives. */
  await(id: number): Reply {
    const t0 = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const msg = receiveMessageOnPort(this.port);
      if (msg) {
        const reply = msg.message as Reply;
        if (reply.id === -1) this.broken = true;
        if (reply.id === id || reply.id === -1) {
          this.started = true;
          return reply;
        }
        continue;
      }
      if (Atomics.load(this.signal, 1) === 1) {
        this.broken = true;
        return { type: 'error', id, code: 'IO', message: 'the worker thread exited' };
      }
      if (!this.started && Date.now() - t0 > START_TIMEOUT_MS) {
        this.broken = true;
        return { type: 'error', id, code: 'IO', message: `the worker thread did not start within ${START_TIMEOUT_MS / 1000} s` };
      }
      Atomics.wait(this.signal, 0, seen, WAIT_SLICE_MS);
    }
  }
}

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
    workers[i - 1].port.postMessage({ id, job: jobs[i] });
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
  const broken = workers.filter((w) => w.broken);
  if (broken.length > 0) {
    workers = workers.filter((w) => !w.broken);
    for (const w of broken) void w.worker.terminate();
  }
  if (failure !== undefined) throw failure;
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
 * The rows of a job for `threads` threads: a shared counter and a chunk of about n / (8·threads) rows,
 * at least minChunk (smaller chunks would cost the kernels their blocking), so slow threads take fewer.
 */
export function rowRange(n: number, threads: number, minChunk: number): RowRange {
  const chunk = Math.max(minChunk, Math.ceil(n / (8 * threads)));
  const next = new Int32Array(new SharedArrayBuffer(4));
  return { n, chunk, next };
}
