import { LibvqError } from '../errors.js';
import type { Metric } from '../metric.js';
import type { IndexSnapshot } from './protocol.js';
import { reuseOrCopy } from './shared.js';

/** An index's trained model as its `share()` describes it: what a worker needs to encode with it. */
export interface SnapshotModel {
  kind: string;
  d: number;
  metric: Metric;
  backend: { name: string };
  nlist?: number;
  M?: number;
  nbits?: number;
  /** Coarse centroids (IVF); compared with the shared copy on every call (training updates them in place). */
  coarse?: Float32Array;
  /** PQ codebooks; compared likewise. */
  codebooks?: Float32Array;
}

export type SnapshotData = Pick<IndexSnapshot, 'vectors' | 'codes' | 'ids' | 'offsets'>;

/** An index's stored data: copied once, and again only when `from` (array identity) or `version` changed. */
export interface SnapshotSource {
  from: unknown;
  version: number;
  copy(): SnapshotData;
}

/**
 * The last snapshot of each index, and what its big buffers were copied from. Stored data (vectors, codes,
 * lists) is copied once and again only after add / reset / file loading replaced it. Centroids and codebooks
 * are small and training updates them in place, so each call compares them with the shared copy and copies
 * again only if a value changed.
 */
interface Cached {
  snap: IndexSnapshot;
  dataFrom: unknown;
  dataVersion: number;
}
const cache = new WeakMap<object, Cached>();
let nextKey = 1;

function backendName(b: { name: string }): string {
  if (b.name !== 'js' && b.name !== 'gpujs') {
    throw new LibvqError('UNSUPPORTED', `threads > 1: backend '${b.name}' is not one the worker threads can load (use 'js' or 'gpujs', or threads: 1)`);
  }
  return b.name;
}

/** The snapshot of `owner` (an index's `share()` calls this with its model and, for a search, its data). */
export function snapshotOf(owner: object, model: SnapshotModel, data: SnapshotSource | undefined): IndexSnapshot {
  const prev = cache.get(owner);
  const coarse = model.coarse && reuseOrCopy(prev?.snap.coarse, model.coarse);
  const codebooks = model.codebooks && reuseOrCopy(prev?.snap.codebooks, model.codebooks);
  // Encoding needs the model only: any snapshot with the same model will do.
  if (!data && prev && prev.snap.coarse === coarse && prev.snap.codebooks === codebooks) return prev.snap;
  let parts: SnapshotData = {};
  if (data) {
    const fresh = prev && prev.dataFrom === data.from && prev.dataVersion === data.version;
    parts = fresh ? { vectors: prev.snap.vectors, codes: prev.snap.codes, ids: prev.snap.ids, offsets: prev.snap.offsets } : data.copy();
  }
  const same =
    prev !== undefined && prev.snap.coarse === coarse && prev.snap.codebooks === codebooks &&
    prev.snap.vectors === parts.vectors && prev.snap.codes === parts.codes && prev.snap.kind === model.kind;
  if (same) return prev.snap;
  const snap: IndexSnapshot = {
    key: nextKey++, kind: model.kind, d: model.d, metric: model.metric, backend: backendName(model.backend),
    nlist: model.nlist ?? 0, M: model.M ?? 0, nbits: model.nbits ?? 0, coarse, codebooks, ...parts,
  };
  cache.set(owner, { snap, dataFrom: data?.from ?? null, dataVersion: data?.version ?? 0 });
  return snap;
}
