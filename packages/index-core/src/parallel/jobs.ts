import { LibvqError } from '../errors.js';

// The jobs a thread can run, registered by the modules that own them (k-means registers its assignment step,
// the product quantizer its sub-space training, index-jobs.ts search and encode). The thread layer itself knows
// none of them, so parallel/ imports nothing above it; a worker loads the owners through thread-entry.ts.

type Runner = (job: { op: string }) => unknown;
const runners = new Map<string, Runner>();

export function registerJob<J extends { op: string }>(op: J['op'], run: (job: J) => unknown): void {
  runners.set(op, run as Runner);
}

/** Runs one thread's share of a job with the runner its owner registered; returns what the runner returns. */
export function runJob(job: { op: string }): unknown {
  const run = runners.get(job.op);
  if (run === undefined) {
    throw new LibvqError('INTERNAL', `index thread: no runner for job ${JSON.stringify(job.op)} (the module that owns it is not loaded in this thread)`);
  }
  return run(job);
}
