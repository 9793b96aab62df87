import type { IndexFlat } from '../indexes/index-flat.js';
import type { IndexIVF } from '../indexes/index-ivf.js';
import type { IndexPQ } from '../indexes/index-pq.js';
import { LibvqError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { EncodeJob, SearchJob } from './protocol.js';

// Index classes are only imported as types here (and in ops.ts / snapshot.ts): the index modules import
// ops.ts, and a value import back would be a cycle that bundlers may order wrongly (class extends undefined).

export type ShareableIndex = IndexFlat | IndexPQ | IndexIVF;

export function rowsOf(data: Float32Array, dim: number, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, dim, data: data.subarray(r0 * dim, r1 * dim) };
}

/**
 * One thread's share of a search or an encoding, on the index itself (calling thread) or on its replica
 * over shared memory (worker): the single-thread code on rows [r0, r1), written into those rows of the outputs.
 */
export function searchRows(index: ShareableIndex, j: SearchJob): void {
  if (j.r1 <= j.r0) return;
  const r = index.search(rowsOf(j.queries, index.d, j.r0, j.r1), { k: j.k, nprobe: j.nprobe, threads: 1 });
  j.distances.set(r.distances, j.r0 * j.k);
  j.labels.set(r.labels, j.r0 * j.k);
}

export function encodeRows(index: ShareableIndex, j: EncodeJob): void {
  if (j.r1 <= j.r0) return;
  const x = rowsOf(j.x, index.d, j.r0, j.r1);
  if ('invlists' in index) {
    const lists = index.assignLists(x);
    j.lists.set(lists, j.r0);
    j.codes.set(index.encodeVectors(x, lists), j.r0 * index.invlists.codeSize);
  } else if ('pq' in index) {
    j.codes.set(index.pq.computeCodes(x, index.backend), j.r0 * index.pq.M);
  } else {
    throw new LibvqError('UNSUPPORTED', 'index thread: a flat index has nothing to encode');
  }
}
