import type { SearchParams } from '../indexes/index.js';
import { type SearchResult, resultFromScratch } from '../indexes/search-result.js';
import type { Matrix } from '../matrix.js';
import { encodeJob, encodeRounds, searchJob } from './ops.js';
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
    return resultFromScratch(job.distances, job.labels, params.k, params.out);
  } finally {
    for (const l of leases) l.release();
  }
}

/** encode(x) with the rows split across `threads` workers, in rounds as parallelEncode: IVF's lists and codes; other kinds' codes. */
export async function encodeOnWorkers(index: ThreadIndex, x: Matrix, codeSize: number, threads: number): Promise<{ rows: number; lists?: Int32Array; codes: Uint8Array }> {
  const out = encodeRounds(x, codeSize);
  const leases = [
    leaseShared('async.encode.x', Float32Array, out.maxRows * x.dim),
    leaseShared('async.encode.lists', Int32Array, out.maxRows),
    leaseShared('async.encode.codes', Uint8Array, out.maxRows * codeSize),
  ] as const;
  try {
    let ivf = false;
    for (const { r0, part } of out.rounds) {
      const n = part.rows;
      const job = encodeJob(index, part, codeSize, threads, {
        x: leases[0].array.subarray(0, n * x.dim), lists: leases[1].array.subarray(0, n), codes: leases[2].array.subarray(0, n * codeSize),
      });
      await runOnWorkers(Array(threads).fill(job));
      ivf = job.snap.nlist > 0;
      out.keep(job, r0);
    }
    return { rows: x.rows, ...(ivf ? { lists: out.lists } : {}), codes: out.codes };
  } finally {
    for (const l of leases) l.release();
  }
}
