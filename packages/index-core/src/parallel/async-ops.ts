import type { SearchParams } from '../indexes/index.js';
import { SearchResult } from '../indexes/search-result.js';
import type { Matrix } from '../matrix.js';
import { rowRange, runOnWorkers } from './pool.js';
import { leaseShared } from './shared.js';
import type { ThreadIndex } from './protocol.js';

// The asynchronous forms of ops.ts: every share runs on a worker (none on the calling thread) and the caller awaits
// them, so its event loop stays free. The same jobs and row chunks as the synchronous forms, so the same bytes.
// Inputs and outputs go in leased shared buffers: asynchronous calls may overlap.

/** Search with the queries split across `threads` workers. */
export async function searchOnWorkers(index: ThreadIndex, q: Matrix, params: SearchParams, threads: number): Promise<SearchResult> {
  const snap = index.share(true);
  const queries = leaseShared('async.search.queries', Float32Array, q.data.length);
  const distances = leaseShared('async.search.distances', Float32Array, q.rows * params.k);
  const labels = leaseShared('async.search.labels', Float64Array, q.rows * params.k);
  try {
    queries.array.set(q.data);
    const nprobe = params.nprobe ?? ('nprobe' in index ? (index.nprobe as number) : undefined);
    const job = { op: 'search', snap, queries: queries.array, k: params.k, nprobe, ...rowRange(q.rows, threads, 8), distances: distances.array, labels: labels.array } as const;
    await runOnWorkers(Array(threads).fill(job));
    return new SearchResult(distances.array.slice(), labels.array.slice(), params.k);
  } finally {
    queries.release();
    distances.release();
    labels.release();
  }
}

/** encode(x) with the rows split across `threads` workers: IVF's lists and codes; other kinds' codes. */
export async function encodeOnWorkers(index: ThreadIndex, x: Matrix, codeSize: number, threads: number): Promise<{ rows: number; lists?: Int32Array; codes: Uint8Array }> {
  const snap = index.share(false);
  const xs = leaseShared('async.encode.x', Float32Array, x.data.length);
  const lists = leaseShared('async.encode.lists', Int32Array, x.rows);
  const codes = leaseShared('async.encode.codes', Uint8Array, x.rows * codeSize);
  try {
    xs.array.set(x.data);
    const job = { op: 'encode', snap, x: xs.array, ...rowRange(x.rows, threads, 256), lists: lists.array, codes: codes.array, codeSize } as const;
    await runOnWorkers(Array(threads).fill(job));
    return { rows: x.rows, ...(snap.nlist > 0 ? { lists: lists.array.slice() } : {}), codes: codes.array.slice() };
  } finally {
    xs.release();
    lists.release();
    codes.release();
  }
}
