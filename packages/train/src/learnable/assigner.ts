import { checkMatrix } from '@libvq/index-core';
import type { Matrix, Metric } from '@libvq/index-core';
import { pqAssign } from '../grad/pq-st.js';
import { rotateRows } from '../grad/rotate.js';
import type { IndexParts } from './structure.js';

/**
 * The quantizer that decides where a document goes (its list and its codes), frozen. With the
 * keep-the-trained-assignments write-back the stored codes were chosen by the index *before* training; the
 * learned codebooks are tuned to those codes, not to nearest-codeword codes under themselves (re-encoding by
 * nearest learned codeword loses most of the gain). A document added later must be encoded by the same rule
 * as the stored ones, so the pre-training rotation / centroids / codebooks are kept as this snapshot and used
 * for every later add. After a re-encode write-back the snapshot is the trained parameters themselves.
 */
export interface AssignSnapshot {
  readonly metric: Metric;
  readonly dIn: number;
  readonly d: number;
  readonly rotation: Float32Array | null;
  readonly centroids: Float32Array | null;
  readonly nlist: number;
  readonly codebooks: Float32Array | null;
  readonly M: number;
  readonly ksub: number;
  readonly dsub: number;
}

export function snapshotParts(parts: IndexParts): AssignSnapshot {
  return {
    metric: parts.metric,
    dIn: parts.dIn,
    d: parts.d,
    rotation: parts.opq ? Float32Array.from(parts.opq.A) : null,
    centroids: parts.ivf ? Float32Array.from(parts.ivf.centroids.data) : null,
    nlist: parts.ivf?.nlist ?? 0,
    codebooks: parts.pq ? Float32Array.from(parts.pq.centroids) : null,
    M: parts.pq?.M ?? 0,
    ksub: parts.pq?.ksub ?? 0,
    dsub: parts.pq?.dsub ?? 0,
  };
}

/** Lists (by the index's metric, as faiss's coarse quantizer assigns) and codes (nearest codeword, L2). */
export function assignDocs(s: AssignSnapshot, docs: Matrix): { rotated: Float64Array; lists: Int32Array | null; codes: Uint8Array | null } {
  checkMatrix(docs, 'documents to add', s.dIn);
  const n = docs.rows;
  const d = s.d;
  const rotated = rotateRows(docs.data, n, s.dIn, s.rotation ? { dOut: d, dIn: s.dIn, data: s.rotation } : undefined);
  let lists: Int32Array | null = null;
  const residual = s.codebooks ? Float64Array.from(rotated) : null;
  if (s.centroids) {
    const C = s.centroids;
    lists = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let l = 0; l < s.nlist; l++) {
        let sc = 0;
        if (s.metric === 'ip') for (let t = 0; t < d; t++) sc += rotated[i * d + t] * C[l * d + t];
        else {
          for (let t = 0; t < d; t++) {
            const e = rotated[i * d + t] - C[l * d + t];
            sc -= e * e;
          }
        }
        if (sc > bestScore) {
          bestScore = sc;
          best = l;
        }
      }
      lists[i] = best;
      if (residual) for (let t = 0; t < d; t++) residual[i * d + t] -= C[best * d + t];
    }
  }
  let codes: Uint8Array | null = null;
  if (residual) {
    codes = pqAssign(residual, n, { M: s.M, ksub: s.ksub, dsub: s.dsub, data: s.codebooks! }, new Uint8Array(n * s.M));
  }
  return { rotated, lists, codes };
}
