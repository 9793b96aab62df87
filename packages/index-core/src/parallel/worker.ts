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
    // a 'call' job (module-call.ts) may import its module first; every other job runs synchronously
    const result = job.op === 'call' ? (await moduleFunction(job as ModuleCallJob))((job as ModuleCallJob).args) : runJob(job);
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
