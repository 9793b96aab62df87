import { LibvqError } from '../errors.js';
import { registerJob } from './jobs.js';
import type { EncodeJob, SearchJob, ThreadIndex } from './protocol.js';
import { replicaOf } from './replica.js';
import { eachChunk, rowsOf } from './rows.js';

/**
 * One thread's share of a search or an encoding, on the index itself (calling thread) or on its replica
 * over shared memory (worker): the single-thread code on chunks of rows, written into those rows of the outputs.
 */
export function searchRows(index: ThreadIndex, j: SearchJob): void {
  eachChunk(j, (r0, r1) => {
    const r = index.searchSync(rowsOf(j.queries, index.d, r0, r1), { k: j.k, nprobe: j.nprobe, kFactor: j.kFactor, threads: 1 });
    j.distances.set(r.distances, r0 * j.k);
    j.labels.set(r.labels, r0 * j.k);
  });
}

export function encodeRows(index: ThreadIndex, j: EncodeJob): void {
  const encode = index.encode?.bind(index);
  if (encode === undefined) throw new LibvqError('UNSUPPORTED', 'index thread: this index stores no codes to encode');
  const codeSize = j.codeSize;
  eachChunk(j, (r0, r1) => {
    const e = encode(rowsOf(j.x, index.d, r0, r1));
    if (e.lists) j.lists.set(e.lists, r0);
    j.codes.set(e.codes, r0 * codeSize);
  });
}

registerJob<SearchJob>('search', (j) => searchRows(replicaOf(j.snap), j));
registerJob<EncodeJob>('encode', (j) => encodeRows(replicaOf(j.snap), j));
