import type { SearchParams } from '../indexes/index.js';
import { SearchResult } from '../indexes/search-result.js';
import type { Matrix } from '../matrix.js';
import { encodeJob, searchJob } from './ops.js';
import { runOnWorkers } from './pool.js';
import { leaseShared } from './shared.js';
import type { ThreadIndex } from './protocol.js';

// The asynchronous forms of ops.ts: every share runs on a worker (none on the calling thread) and the caller awaits
// them, so its event loop stays free. The same jobs and row chunks as the synchronous forms, so the same bytes.
// Inputs and outputs go in leased shared buffers: asynchronous calls may overlap.

/** Search with the queries split across `threads` workers. */
export async function searchOnWorkers(index: ThreadIndex, q: Matrix, params: SearchParams, threads: number): Promise<SearchResult> {
  const leases = [
    leaseShared('async.search.queries', Float32Array, q.data.length),
    leaseShared('async.search.distances', Float32Array, q.rows * params.k),
    leaseShared('async.search.labels', Float64Array, q.rows * params.k),
  ] as const;
  try {
    const job = searchJob(index, q, params, threads, { queries: leases[0].array, distances: leases[1].array, labels: leases[2].array });
    await runOnWorkers(Array(threads).fill(job));
    return new SearchResult(job.distances.slice(), job.labels.slice(), params.k);
  } finally {
    for (const l of leases) l.release();
  }
}

/** encode(x) with the rows split across `threads` workers: IVF's lists and codes; other kinds' codes. */
export async function encodeOnWorkers(index: ThreadIndex, x: Matrix, codeSize: number, threads: number): Promise<{ rows: number; lists?: Int32Array; codes: Uint8Array }> {
  const leases = [
    leaseShared('async.encode.x', Float32Array, x.data.length),
    leaseShared('async.encode.lists', Int32Array, x.rows),
    leaseShared('async.encode.codes', Uint8Array, x.rows * codeSize),
  ] as const;
  try {
    const job = encodeJob(index, x, codeSize, threads, { x: leases[0].array, lists: leases[1].array, codes: leases[2].array });
    await runOnWorkers(Array(threads).fill(job));
    return { rows: x.rows, ...(job.snap.nlist > 0 ? { lists: job.lists.slice() } : {}), codes: job.codes.slice() };
  } finally {
    for (const l of leases) l.release();
  }
}
