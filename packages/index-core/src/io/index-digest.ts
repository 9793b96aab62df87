import { createHash, type Hash } from 'node:crypto';
import { LibvqError } from '../errors.js';
import { IndexFlat } from '../indexes/index-flat.js';
import { IndexIVF } from '../indexes/index-ivf.js';
import { IndexIVFPQ } from '../indexes/index-ivf-pq.js';
import { IndexPQ } from '../indexes/index-pq.js';
import { IndexPreTransform } from '../indexes/index-pretransform.js';
import type { Index } from '../indexes/index.js';
import { NormalizationTransform } from '../normalization.js';
import { OPQMatrix } from '../opq.js';
import type { ProductQuantizer } from '../product-quantizer.js';
import { bytesOf } from './bytes.js';

/*
 * A SHA-256 over everything a faiss file stores of an index — structure, sizes, floats, codes and ids —
 * taken from the in-memory objects, never from file bytes. writeIndex / serializeIndex compare the
 * digest of the index they were given with the digest of what reading their own output gives back, so
 * a writer that puts a field in the wrong place fails there, before the file reaches its final path.
 */

function nums(h: Hash, ...v: number[]): void {
  h.update(bytesOf(new Float64Array(v)));
}

function digestPQ(h: Hash, pq: ProductQuantizer): void {
  nums(h, pq.d, pq.M, pq.nbits);
  h.update(bytesOf(pq.centroids));
}

function digestAny(h: Hash, index: Index): void {
  h.update(index.constructor.name);
  nums(h, index.d, index.ntotal, index.isTrained ? 1 : 0, index.metric === 'ip' ? 0 : 1);
  if (index instanceof IndexPreTransform) {
    nums(h, index.chain.length);
    for (const t of index.chain) {
      if (t instanceof NormalizationTransform) {
        h.update('VNrm');
        nums(h, t.norm, t.dIn, t.dOut);
        continue;
      }
      if (!(t instanceof OPQMatrix)) throw new LibvqError('UNSUPPORTED', `index digest: transform ${t.constructor.name} is not stored in faiss files`);
      nums(h, t.dIn, t.dOut, t.isTrained ? 1 : 0);
      h.update(bytesOf(t.A));
    }
    digestAny(h, index.index);
  } else if (index instanceof IndexFlat) {
    h.update(bytesOf(index.vectors.data));
    if (!index.idMap.sequential) h.update(bytesOf(index.idMap.all()));
  } else if (index instanceof IndexPQ) {
    digestPQ(h, index.pq);
    h.update(index.codes.subarray(0, index.ntotal * index.pq.codeSize));
    if (!index.idMap.sequential) h.update(bytesOf(index.idMap.all()));
  } else if (index instanceof IndexIVF) {
    nums(h, index.nlist, index.nprobe);
    digestAny(h, index.quantizer);
    if (index instanceof IndexIVFPQ) digestPQ(h, index.pq);
    const il = index.invlists;
    nums(h, il.codeSize);
    h.update(bytesOf(il.sizes));
    for (let l = 0; l < il.nlist; l++) {
      const n = il.sizes[l];
      if (n === 0) continue;
      h.update(il.readCodes(l));
      h.update(bytesOf(il.ids[l].subarray(0, n)));
    }
  } else {
    throw new LibvqError('UNSUPPORTED', `index digest: ${(index as object)?.constructor?.name ?? typeof index} is not stored in faiss files`);
  }
}

/** Hex SHA-256 of the index's stored content (see above). Equal digests: the same index, field for field. */
export function indexDigest(index: Index): string {
  const h = createHash('sha256');
  digestAny(h, index);
  return h.digest('hex');
}
