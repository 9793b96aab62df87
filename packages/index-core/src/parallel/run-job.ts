import { LibvqError } from '../errors.js';
import { encodeRows, searchRows } from './index-jobs.js';
import { assignRows, trainSubspaces } from './kernel-jobs.js';
import type { Job } from './protocol.js';
import { replicaOf } from './replica.js';

/** A worker's share of a job; index jobs run on the replica of the snapshot they carry. */
export function runJob(job: Job): void {
  switch (job.op) {
    case 'search':
      return searchRows(replicaOf(job.snap), job);
    case 'encode':
      return encodeRows(replicaOf(job.snap), job);
    case 'assign':
      return assignRows(job);
    case 'pq-train':
      return trainSubspaces(job);
    default:
      throw new LibvqError('INVALID_ARGUMENT', `index thread: unknown job ${JSON.stringify((job as { op: unknown }).op)}`);
  }
}
