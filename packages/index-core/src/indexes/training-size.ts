import { OPQMatrix } from '../opq.js';
import type { Index } from './index.js';
import { IndexIVF } from './index-ivf.js';
import { IndexIVFPQ } from './index-ivf-pq.js';
import { IndexPQ } from './index-pq.js';
import { IndexPreTransform } from './index-pretransform.js';

/**
 * The training-set size that trains `index` as well as any larger one, faiss's rule: k-means uses at most 256
 * points per centroid (IVF: 256 · nlist; PQ: 256 · 2^nbits per sub-quantizer), OPQ trains on at most 256 · 256
 * points. A bigger corpus is sampled once, seeded, to this size (the library would subsample anyway), so it is
 * never read whole for training.
 */
export function defaultTrainingSize(index: Index): number {
  let n = 1;
  const inner = index instanceof IndexPreTransform ? index.index : index;
  if (inner instanceof IndexIVF) n = Math.max(n, 256 * inner.nlist);
  if (inner instanceof IndexPQ || inner instanceof IndexIVFPQ) n = Math.max(n, 256 * inner.pq.ksub);
  if (index instanceof IndexPreTransform && index.chain.some((t) => t instanceof OPQMatrix)) n = Math.max(n, 256 * 256);
  return n;
}
