import { Session } from 'node:inspector';
import { type MessagePort, workerData } from 'node:worker_threads';
import { LibvqError } from '../errors.js';
import type { Envelope, Reply } from './protocol.js';
import { runJob } from './jobs.js';
import { moduleFunction, type ModuleCallJob } from './module-call.js';

// Entry of an index thread. The main thread blocks in Atomics.wait while workers run (the index API is
// synchronous), so replies go on a private port the main thread drains with receiveMessageOnPort, and
// every reply bumps signal[0] to wake it (the bootstrap in spawn-worker.ts sets signal[1] on exit).
const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

function wake(): void {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on('message', async ({ id, job }: Envelope) => {
  let reply: Reply;
  try {
    // a 'call' job (module-call.ts) may import its module first, a 'collect' job waits for a collection; every
    // other job runs synchronously
    const result = job.op === 'call' ? (await moduleFunction(job as ModuleCallJob))((job as ModuleCallJob).args) : job.op === 'collect' ? await collectGarbage() : runJob(job);
    reply = result === undefined ? { type: 'done', id } : { type: 'done', id, result };
  } catch (err) {
    const e = err as Error;
    reply = { type: 'error', id, code: err instanceof LibvqError ? err.code : undefined, message: e?.message ?? String(err) };
  }
  port.postMessage(reply);
  wake();
});

// Up and listening: the pool's start check ends here, not at the first job's reply (training an IVF on 10^6
// vectors is a first job of minutes, which the check took for a worker that never started).
port.postMessage({ type: 'ready', id: 0 } satisfies Reply);
wake();

let inspector: Session | null | undefined;
/**
 * A full garbage collection of this thread's heap ('collect' jobs: collectThreadGarbage in pool.ts), through the
 * inspector protocol, the supported way without --expose-gc (asynchronous, which a worker's job loop can wait
 * for; the calling thread uses collect.ts). Why: a SharedArrayBuffer is freed only when every thread that saw it
 * has collected its handles, and a worker, which allocates little, may not collect for a long time after its last
 * job. A Node built without the inspector skips it: the memory is then freed at the worker's next collection.
 */
function collectGarbage(): Promise<undefined> {
  if (inspector === undefined) {
    try {
      inspector = new Session();
      inspector.connect();
    } catch {
      inspector = null;
    }
  }
  const session = inspector;
  if (session === null) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve(undefined))));
}
