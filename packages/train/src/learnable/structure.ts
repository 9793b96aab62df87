import {
  IndexFlat, IndexIVF, IndexIVFFlat, IndexIVFPQ, IndexPQ, IndexPreTransform, LibvqError, OPQMatrix,
} from '@libvq/index-core';
import type { Index, IndexMethod, Metric, ProductQuantizer } from '@libvq/index-core';

/** The LibVQ methods a learnable index can have (every index method but 'flat'). */
export type LearnableMethod = Exclude<IndexMethod, 'flat'>;

/**
 * The parts of an index-core index that training touches, found once: the OPQ transform (rotation), the IVF
 * coarse quantizer's centroids, the product quantizer's codebooks. Every array here is the index's own storage
 * (float32, updated in place), so the index is always the trained model.
 */
export interface IndexParts {
  readonly index: Index;
  readonly method: LearnableMethod;
  readonly metric: Metric;
  /** Input dimension (before the rotation). */
  readonly dIn: number;
  /** Dimension of the index's space (after the rotation). */
  readonly d: number;
  readonly opq: OPQMatrix | null;
  /** The index below the transform. */
  readonly inner: IndexPQ | IndexIVFPQ | IndexIVFFlat;
  readonly ivf: IndexIVFPQ | IndexIVFFlat | null;
  readonly pq: ProductQuantizer | null;
}

export function inspectIndex(index: Index): IndexParts {
  let inner: Index = index;
  let opq: OPQMatrix | null = null;
  if (index instanceof IndexPreTransform) {
    if (index.chain.length !== 1 || !(index.chain[0] instanceof OPQMatrix)) {
      throw new LibvqError('UNSUPPORTED', `learnable index: only a single OPQ transform can precede the index (got ${index.chain.map((t) => t.constructor.name).join(', ')})`);
    }
    opq = index.chain[0];
    inner = index.index;
  }
  let method: IndexParts['method'];
  if (inner instanceof IndexIVFPQ) method = opq ? 'ivf_opq' : 'ivf_pq';
  else if (inner instanceof IndexIVFFlat) {
    if (opq) throw new LibvqError('UNSUPPORTED', 'learnable index: OPQ,IVF,Flat has no LibVQ method (use ivf, ivf_pq or ivf_opq)');
    method = 'ivf';
  } else if (inner instanceof IndexPQ) method = opq ? 'opq' : 'pq';
  else if (inner instanceof IndexFlat) throw new LibvqError('UNSUPPORTED', "learnable index: a 'flat' index has nothing to learn");
  else throw new LibvqError('UNSUPPORTED', `learnable index: ${inner.constructor.name} is not an IVF / PQ index`);
  if (!index.isTrained) throw new LibvqError('NOT_TRAINED', 'learnable index: the index must be trained (and filled) before it is made learnable');
  const ivf = inner instanceof IndexIVF ? (inner as IndexIVFPQ | IndexIVFFlat) : null;
  const pq = inner instanceof IndexIVFPQ || inner instanceof IndexPQ ? inner.pq : null;
  return {
    index, method, metric: index.metric, dIn: index.d, d: inner.d, opq,
    inner: inner as IndexParts['inner'], ivf, pq,
  };
}

/**
 * Where every stored document sits: its list (IVF) and its codes (PQ), indexed by document id. LibVQ's ids are
 * the rows of the document embeddings, 0..n-1, and so are ours; an id outside 0..ntotal-1 is an error.
 */
export interface DocAssignments {
  readonly n: number;
  /** List of each document (IVF), else null. */
  readonly lists: Int32Array | null;
  /** n x M codes (PQ), else null. */
  readonly codes: Uint8Array | null;
}

export function readAssignments(parts: IndexParts): DocAssignments {
  const n = parts.index.ntotal;
  const M = parts.pq?.M ?? 0;
  if (parts.inner instanceof IndexPQ) return { n, lists: null, codes: parts.inner.codes.slice(0, n * M) };
  const ivf = parts.ivf!;
  const lists = new Int32Array(n).fill(-1);
  const codes = parts.pq ? new Uint8Array(n * M) : null;
  const inv = ivf.invlists;
  for (let l = 0; l < ivf.nlist; l++) {
    const ids = inv.ids[l];
    for (let o = 0; o < inv.sizes[l]; o++) {
      const id = ids[o];
      if (!(Number.isInteger(id) && id >= 0 && id < n) || lists[id] !== -1) {
        throw new LibvqError('UNSUPPORTED', `learnable index: list ${l} holds id ${id}; ids must be the document rows 0..${n - 1}, each once`);
      }
      lists[id] = l;
      if (codes) codes.set(inv.codes[l].subarray(o * M, (o + 1) * M), id * M);
    }
  }
  return { n, lists, codes };
}

/** Writes the given assignments into the index, replacing its lists / codes (ids = rows). */
export function writeAssignments(parts: IndexParts, a: DocAssignments): void {
  if (parts.inner instanceof IndexPQ) {
    parts.inner.reset();
    parts.inner.appendCodes(a.codes!, a.n);
    return;
  }
  const ivf = parts.ivf!;
  const cs = ivf.invlists.codeSize;
  if (!a.lists) throw new LibvqError('INVALID_ARGUMENT', 'learnable index: IVF write-back needs the list of every document');
  if (parts.pq && !a.codes) throw new LibvqError('INVALID_ARGUMENT', 'learnable index: IVF-PQ write-back needs the codes of every document');
  if (!parts.pq) {
    throw new LibvqError('UNSUPPORTED', 'learnable index: IVF,Flat stores raw vectors; re-add the documents instead of writing assignments');
  }
  const ids = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) ids[i] = i;
  ivf.invlists.reset();
  if (a.codes!.length !== a.n * cs) throw new LibvqError('DIMENSION_MISMATCH', `learnable index: ${a.codes!.length} code bytes for ${a.n} documents of ${cs}`);
  ivf.invlists.appendBatch(a.lists, a.codes!, ids);
}
