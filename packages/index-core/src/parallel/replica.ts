import { LibvqError } from '../errors.js';
import type { IndexSnapshot, ThreadIndex } from './protocol.js';

// Each index class registers how to rebuild itself over a snapshot's shared buffers (its `fromShared`), so this
// layer needs no index class. A thread keeps the replicas of the last few snapshots: one search call sends the
// same snapshot to every worker, and repeated calls on an unchanged index reuse it (and IVF-PQ's per-list l2
// tables built in it).

const builders = new Map<string, (s: IndexSnapshot) => ThreadIndex>();
const MAX_CACHED = 4;
const cache = new Map<number, ThreadIndex>();

export function registerReplica(kind: string, build: (s: IndexSnapshot) => ThreadIndex): void {
  builders.set(kind, build);
}

/** The index a snapshot describes, built over its shared buffers without copying them. */
export function replicaOf(snap: IndexSnapshot): ThreadIndex {
  const hit = cache.get(snap.key);
  if (hit) return hit;
  const build = builders.get(snap.kind);
  if (build === undefined) throw new LibvqError('INTERNAL', `index thread: no replica builder for index kind ${JSON.stringify(snap.kind)}`);
  const r = build(snap);
  cache.set(snap.key, r);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as number);
  return r;
}
