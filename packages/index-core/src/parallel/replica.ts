import { IndexFlat } from '../indexes/index-flat.js';
import { IndexIVFFlat } from '../indexes/index-ivf-flat.js';
import { IndexIVFPQ } from '../indexes/index-ivf-pq.js';
import { IndexPQ } from '../indexes/index-pq.js';
import type { IndexIVF } from '../indexes/index-ivf.js';
import type { IndexSnapshot } from './protocol.js';

export type Replica = IndexFlat | IndexPQ | IndexIVF;

// A thread keeps the replicas of the last few snapshots: one search call sends the same snapshot to every
// worker, and repeated calls on an unchanged index reuse it (and IVF-PQ's per-list l2 tables built in it).
const MAX_CACHED = 4;
const cache = new Map<number, Replica>();

/** The index a snapshot describes, built over its shared buffers without copying them. */
export function replicaOf(snap: IndexSnapshot): Replica {
  const hit = cache.get(snap.key);
  if (hit) return hit;
  const r = build(snap);
  cache.set(snap.key, r);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as number);
  return r;
}

function build(s: IndexSnapshot): Replica {
  if (s.kind === 'flat') {
    const f = new IndexFlat(s.d, s.metric, s.backend);
    f.adoptVectors(s.vectors!);
    return f;
  }
  if (s.kind === 'pq') {
    const p = new IndexPQ(s.d, s.M, s.nbits, s.metric, s.backend);
    p.pq.centroids = s.codebooks!;
    p.pq.isTrained = true;
    if (s.codes) {
      p.codes = s.codes;
      p.ntotal = s.codes.length / s.M;
    }
    return p;
  }
  const quantizer = new IndexFlat(s.d, s.metric, s.backend);
  quantizer.adoptVectors(s.coarse!);
  let ivf: IndexIVF;
  if (s.kind === 'ivf-pq') {
    const p = new IndexIVFPQ(s.d, s.nlist, s.M, s.nbits, s.metric, s.backend, quantizer);
    p.pq.centroids = s.codebooks!;
    p.pq.isTrained = true;
    ivf = p;
  } else {
    ivf = new IndexIVFFlat(s.d, s.nlist, s.metric, s.backend, quantizer);
  }
  if (s.offsets) {
    const cs = ivf.invlists.codeSize;
    const o = s.offsets;
    for (let l = 0; l < s.nlist; l++) {
      ivf.invlists.setList(l, s.codes!.subarray(o[l] * cs, o[l + 1] * cs), s.ids!.subarray(o[l], o[l + 1]));
    }
  }
  return ivf;
}
