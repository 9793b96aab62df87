import type { IndexFlat } from '../indexes/index-flat.js';
import type { IndexIVF } from '../indexes/index-ivf.js';
import type { IndexPQ } from '../indexes/index-pq.js';
import { LibvqError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { EncodeJob, RowRange, SearchJob } from './protocol.js';

// Index classes are only imported as types here (and in ops.ts / snapshot.ts): the index modules import
// ops.ts, and a value import back would be a cycle that bundlers may order wrongly (class extends undefined).

export type ShareableIndex = IndexFlat | IndexPQ | IndexIVF;

export function rowsOf(data: Float32Array, dim: number, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, dim, data: data.subarray(r0 * dim, r1 * dim) };
}

/** Runs f on chunks [r0, r1) taken from the job's shared counter until the rows run out. */
export function eachChunk(j: RowRange, f: (r0: number, r1: number) => void): void {
  for (let r0 = Atomics.add(j.next, 0, j.chunk); r0 < j.n; r0 = Atomics.add(j.next, 0, j.chunk)) f(r0, Math.min(j.n, r0 + j.chunk));
}

/**
 * One thread's share of a search or an encoding, on the index itself (calling thread) or on its replica
 * over shared memory (worker): the single-thread code on chunks of rows, written into those rows of the outputs.
 */
export function searchRows(index: ShareableIndex, j: SearchJob): void {
  eachChunk(j, (r0, r1) => {
    const r = index.search(rowsOf(j.queries, index.d, r0, r1), { k: j.k, nprobe: j.nprobe, threads: 1 });
    j.distances.set(r.distances, r0 * j.k);
    j.labels.set(r.labels, r0 * j.k);
  });
}

export function encodeRows(index: ShareableIndex, j: EncodeJob): void {
  if (!('invlists' in index) && !('pq' in index)) throw new LibvqError('UNSUPPORTED', 'index thread: a flat index has nothing to encode');
  eachChunk(j, (r0, r1) => {
    const x = rowsOf(j.x, index.d, r0, r1);
    if ('invlists' in index) {
      const lists = index.assignLists(x);
      j.lists.set(lists, r0);
      j.codes.set(index.encodeVectors(x, lists), r0 * index.invlists.codeSize);
    } else {
      j.codes.set(index.pq.computeCodes(x, index.backend), r0 * index.pq.M);
    }
  });
}
