import { LibvqError } from '../errors.js';
import { isBuiltinBackend } from '../backend/registry.js';
import type { Metric } from '../metric.js';
import type { IndexSnapshot } from './protocol.js';
import { sharedCopy } from './shared.js';

/** An index's trained model as its `share()` describes it: what a worker needs to encode with it. */
export interface SnapshotModel {
  kind: string;
  /** The index's model version: bumped by training and parametersChanged() (in-place writes say so there). */
  version: number;
  d: number;
  metric: Metric;
  backend: { name: string };
  nlist?: number;
  M?: number;
  nbits?: number;
  /** Coarse centroids (IVF); copied again when the version or the array changed. */
  coarse?: Float32Array;
  /** PQ codebooks; likewise. */
  codebooks?: Float32Array;
}

export type SnapshotData = Pick<IndexSnapshot, 'vectors' | 'codes' | 'codesMemory' | 'ids' | 'offsets'>;

/** An index's stored data: copied once, and again only when `from` (array identity) or `version` changed. */
export interface SnapshotSource {
  from: unknown;
  version: number;
  copy(): SnapshotData;
}

/**
 * The last snapshot of each index, and what its buffers were copied from. Stored data (vectors, codes, lists) is
 * copied once and again only after add / reset / file loading replaced it; centroids and codebooks likewise after
 * training or parametersChanged() (the one signal of an in-place write) bumped the model version.
 */
interface Cached {
  snap: IndexSnapshot;
  dataFrom: unknown;
  dataVersion: number;
  modelVersion: number;
  coarseFrom: Float32Array | undefined;
  codebooksFrom: Float32Array | undefined;
}
const cache = new WeakMap<object, Cached>();
let nextKey = 1;

function backendName(b: { name: string }): string {
  if (!isBuiltinBackend(b.name)) {
    throw new LibvqError('UNSUPPORTED', `threads > 1: backend '${b.name}' is not one the worker threads can load (use 'js', 'gpujs' or 'native', or threads: 1)`);
  }
  return b.name;
}

/** The snapshot of `owner` (an index's `share()` calls this with its model and, for a search, its data). */
export function snapshotOf(owner: object, model: SnapshotModel, data: SnapshotSource | undefined): IndexSnapshot {
  const prev = cache.get(owner);
  const modelSame = prev !== undefined && prev.modelVersion === model.version;
  const coarse = model.coarse && (modelSame && prev.coarseFrom === model.coarse ? prev.snap.coarse : sharedCopy(model.coarse));
  const codebooks = model.codebooks && (modelSame && prev.codebooksFrom === model.codebooks ? prev.snap.codebooks : sharedCopy(model.codebooks));
  // Encoding needs the model only: any snapshot with the same model will do.
  if (!data && prev && prev.snap.coarse === coarse && prev.snap.codebooks === codebooks) return prev.snap;
  let parts: SnapshotData = {};
  if (data) {
    const fresh = prev && prev.dataFrom === data.from && prev.dataVersion === data.version;
    parts = fresh
      ? { vectors: prev.snap.vectors, codes: prev.snap.codes, ...(prev.snap.codesMemory ? { codesMemory: prev.snap.codesMemory } : {}), ids: prev.snap.ids, offsets: prev.snap.offsets }
      : data.copy();
  }
  const same =
    prev !== undefined && prev.snap.coarse === coarse && prev.snap.codebooks === codebooks &&
    prev.snap.vectors === parts.vectors && prev.snap.codes === parts.codes && prev.snap.kind === model.kind;
  if (same) return prev.snap;
  const snap: IndexSnapshot = {
    key: nextKey++, kind: model.kind, d: model.d, metric: model.metric, backend: backendName(model.backend),
    nlist: model.nlist ?? 0, M: model.M ?? 0, nbits: model.nbits ?? 0, coarse, codebooks, ...parts,
  };
  cache.set(owner, {
    snap, dataFrom: data?.from ?? null, dataVersion: data?.version ?? 0,
    modelVersion: model.version, coarseFrom: model.coarse, codebooksFrom: model.codebooks,
  });
  return snap;
}
