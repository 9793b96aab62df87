import { type MessagePort, workerData } from 'node:worker_threads';
import { LibvqError } from '../errors.js';
import type { Envelope, Reply } from './protocol.js';
import { runJob } from './jobs.js';

// Entry of an index thread. The main thread blocks in Atomics.wait while workers run (the index API is
// synchronous), so replies go on a private port the main thread drains with receiveMessageOnPort, and
// every reply bumps signal[0] to wake it (the bootstrap in spawn-worker.ts sets signal[1] on exit).
const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

function wake(): void {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on('message', ({ id, job }: Envelope) => {
  let reply: Reply;
  try {
    const result = runJob(job);
    reply = result === undefined ? { type: 'done', id } : { type: 'done', id, result };
  } catch (err) {
    const e = err as Error;
    reply = { type: 'error', id, code: err instanceof LibvqError ? err.code : undefined, message: e?.message ?? String(err) };
  }
  port.postMessage(reply);
  wake();
});
