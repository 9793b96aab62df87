import { LibvqError } from '../errors.js';
import type { IndexFlat } from '../indexes/index-flat.js';
import type { IndexIVF } from '../indexes/index-ivf.js';
import type { ShareableIndex } from './index-jobs.js';
import type { IndexSnapshot } from './protocol.js';
import { reuseOrCopy, sharedArray, sharedCopy } from './shared.js';


/**
 * The last snapshot of each index, and what its big buffers were copied from. Stored data (vectors, codes,
 * lists) is copied once and again only after add / reset / file loading replaced it (array identity, list
 * version). Centroids and codebooks are small and training updates them in place, so each call compares
 * them with the shared copy and copies again only if a value changed.
 */
interface Cached {
  snap: IndexSnapshot;
  /** Identity of what the stored-data buffers were copied from. */
  dataFrom: unknown;
  dataVersion: number;
}
const cache = new WeakMap<object, Cached>();
let nextKey = 1;

function backendName(index: ShareableIndex): string {
  const name = index.backend.name;
  if (name !== 'js' && name !== 'gpujs') {
    throw new LibvqError('UNSUPPORTED', `threads > 1: backend '${name}' is not one the worker threads can load (use 'js' or 'gpujs', or threads: 1)`);
  }
  return name;
}

/** Shared buffers of the index's model and, when `withData`, of its stored vectors / codes / lists. */
export function snapshotOf(index: ShareableIndex, withData: boolean): IndexSnapshot {
  const prev = cache.get(index);
  const base = describe(index);
  let coarse: Float32Array | undefined;
  let codebooks: Float32Array | undefined;
  if (isIVF(index)) coarse = reuseOrCopy(prev?.snap.coarse, index.quantizer.vectors.data);
  if ('pq' in index) codebooks = reuseOrCopy(prev?.snap.codebooks, index.pq.centroids);

  // Encoding needs the model only: any snapshot with the same model will do.
  if (!withData && prev && prev.snap.coarse === coarse && prev.snap.codebooks === codebooks) return prev.snap;
  let dataFrom: unknown = null;
  let dataVersion = 0;
  let data: Pick<IndexSnapshot, 'vectors' | 'codes' | 'ids' | 'offsets'> = {};
  if (withData) {
    if (isFlat(index)) {
      dataFrom = index.vectors.data.buffer;
      dataVersion = index.ntotal;
    } else if (!isIVF(index)) {
      dataFrom = index.codes;
      dataVersion = index.ntotal;
    } else {
      dataFrom = index.invlists;
      dataVersion = index.invlists.version;
    }
    const fresh = prev && prev.dataFrom === dataFrom && prev.dataVersion === dataVersion;
    data = fresh ? { vectors: prev.snap.vectors, codes: prev.snap.codes, ids: prev.snap.ids, offsets: prev.snap.offsets } : copyData(index);
  }
  const same =
    prev !== undefined && prev.snap.coarse === coarse && prev.snap.codebooks === codebooks &&
    prev.snap.vectors === data.vectors && prev.snap.codes === data.codes && prev.snap.kind === base.kind;
  if (same) return prev.snap;
  const snap: IndexSnapshot = { key: nextKey++, ...base, coarse, codebooks, ...data };
  cache.set(index, { snap, dataFrom, dataVersion });
  return snap;
}

function describe(index: ShareableIndex): Omit<IndexSnapshot, 'key'> {
  const common = { d: index.d, metric: index.metric, backend: backendName(index) };
  if (isFlat(index)) return { ...common, kind: 'flat', nlist: 0, M: 0, nbits: 0 };
  const pq = 'pq' in index ? index.pq : undefined;
  if (!isIVF(index)) return { ...common, kind: 'pq', nlist: 0, M: pq!.M, nbits: pq!.nbits };
  if (pq) return { ...common, kind: 'ivf-pq', nlist: index.nlist, M: pq.M, nbits: pq.nbits };
  if (index.invlists.codeSize === index.d * 4) return { ...common, kind: 'ivf-flat', nlist: index.nlist, M: 0, nbits: 0 };
  throw new LibvqError('UNSUPPORTED', `threads > 1: ${(index as object).constructor.name} has no parallel implementation`);
}

// The index classes are told apart by shape (see index-jobs.ts for why they are not imported as values).
function isIVF(index: ShareableIndex): index is IndexIVF {
  return 'invlists' in index;
}
function isFlat(index: ShareableIndex): index is IndexFlat {
  return !('invlists' in index) && !('pq' in index);
}

function copyData(index: ShareableIndex): Pick<IndexSnapshot, 'vectors' | 'codes' | 'ids' | 'offsets'> {
  if (isFlat(index)) return { vectors: sharedCopy(index.vectors.data) };
  if (!isIVF(index)) return { codes: sharedCopy(index.codes.subarray(0, index.ntotal * index.pq.M)) };
  const inv = index.invlists;
  const cs = inv.codeSize;
  const offsets = sharedArray(Int32Array, inv.nlist + 1);
  for (let l = 0; l < inv.nlist; l++) offsets[l + 1] = offsets[l] + inv.sizes[l];
  const n = offsets[inv.nlist];
  const codes = sharedArray(Uint8Array, n * cs);
  const ids = sharedArray(Float64Array, n);
  for (let l = 0; l < inv.nlist; l++) {
    codes.set(inv.codes[l].subarray(0, inv.sizes[l] * cs), offsets[l] * cs);
    ids.set(inv.ids[l].subarray(0, inv.sizes[l]), offsets[l]);
  }
  return { codes, ids, offsets };
}
