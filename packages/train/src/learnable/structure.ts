import { LibvqError } from '@libvq/index-core';
import type { CodebookParameters, Index, Metric } from '@libvq/index-core';
import type { IndexMethod } from './methods.js';

/** The LibVQ methods a learnable index can have (every index method but 'flat'). */
export type LearnableMethod = Exclude<IndexMethod, 'flat'>;

/**
 * The parameters of an index that training updates, found once through the index's own contract
 * (`index.parameters()`): the OPQ rotation, the IVF coarse centroids, the PQ codebooks. Every array is the
 * index's own storage (float32, updated in place; training calls `index.parametersChanged()` after writing), so
 * the index is always the trained model. No index class is named here: any index whose parameters have this shape
 * is learnable.
 */
export interface IndexParts {
  readonly index: Index;
  readonly method: LearnableMethod;
  readonly metric: Metric;
  /** Input dimension (before the rotation). */
  readonly dIn: number;
  /**
   * The index L2-normalises its inputs first (an 'L2norm' transform: metric 'cosine'). Nothing in it trains; fit
   * normalises the embeddings it is given the same way, so the teacher and the student both score by cosine.
   */
  readonly normalized: boolean;
  /** Dimension of the index's space (after the rotation). */
  readonly d: number;
  /** OPQ rotation, d × dIn row-major, else null. */
  readonly rotation: Float32Array | null;
  /** IVF coarse centroids, nlist × d, else null. */
  readonly centroids: Float32Array | null;
  /** IVF lists (0 without IVF). */
  readonly nlist: number;
  readonly codebooks: CodebookParameters | null;
}

export function inspectIndex(index: Index): IndexParts {
  const p = index.parameters();
  const normalized = p.transforms[0]?.kind === 'l2norm';
  const learned = normalized ? p.transforms.slice(1) : p.transforms;
  if (learned.length > 1 || (learned.length === 1 && learned[0].kind !== 'opq')) {
    const kinds = p.transforms.map((t) => t.kind);
    throw new LibvqError('UNSUPPORTED', `learnable index: only an OPQ rotation, optionally after an L2 normalisation, can precede the index (got ${kinds.join(', ')})`);
  }
  const rotation = learned[0] ?? null;
  const ivf = p.centroids !== undefined;
  if (p.byResidual === false) {
    throw new LibvqError('UNSUPPORTED', 'learnable index: LibVQ learns IVF-PQ codes of residuals to the list centroid; this index encodes the vectors themselves (fast-scan "PQ<M>x4fs"): use "PQ<M>x4fsr"');
  }
  const pq = p.codebooks !== undefined;
  let method: LearnableMethod;
  if (ivf && pq) method = rotation ? 'ivf_opq' : 'ivf_pq';
  else if (ivf) {
    if (rotation) throw new LibvqError('UNSUPPORTED', 'learnable index: OPQ,IVF,Flat has no LibVQ method (use ivf, ivf_pq or ivf_opq)');
    method = 'ivf';
  } else if (pq) method = rotation ? 'opq' : 'pq';
  else throw new LibvqError('UNSUPPORTED', "learnable index: a 'flat' index (raw vectors, no centroids or codebooks) has nothing to learn");
  if (!index.isTrained) throw new LibvqError('NOT_TRAINED', 'learnable index: the index must be trained (and filled) before it is made learnable');
  return {
    index, method, metric: index.metric, dIn: index.d, normalized, d: rotation ? rotation.dOut : index.d,
    rotation: rotation ? rotation.matrix : null,
    centroids: p.centroids?.data ?? null,
    nlist: p.centroids?.rows ?? 0,
    codebooks: p.codebooks ?? null,
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

/** The stored entries (index.readEntries) ordered by document id. */
export function readAssignments(parts: IndexParts): DocAssignments {
  const n = parts.index.ntotal;
  const M = parts.codebooks?.M ?? 0;
  const e = parts.index.readEntries({ codes: M > 0 });
  const seen = new Uint8Array(n);
  const lists = e.lists ? new Int32Array(n) : null;
  const codes = M > 0 ? new Uint8Array(n * M) : null;
  for (let i = 0; i < e.rows; i++) {
    const id = e.ids[i];
    if (!(Number.isInteger(id) && id >= 0 && id < n) || seen[id] === 1) {
      const where = e.lists ? `list ${e.lists[i]} holds` : 'the index holds';
      throw new LibvqError('UNSUPPORTED', `learnable index: ${where} id ${id}; ids must be the document rows 0..${n - 1}, each once`);
    }
    seen[id] = 1;
    if (lists) lists[id] = e.lists![i];
    if (codes) codes.set(e.codes.subarray(i * M, (i + 1) * M), id * M);
  }
  return { n, lists, codes };
}
