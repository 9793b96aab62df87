import { createHash, type Hash } from 'node:crypto';
import { LibvqError } from '../errors.js';
import { IndexFlat } from '../indexes/index-flat.js';
import { IndexIVF } from '../indexes/index-ivf.js';
import { IndexIVFPQ } from '../indexes/index-ivf-pq.js';
import type { CodeLayout } from '../indexes/code-layout.js';
import type { InvertedLists } from '../indexes/inverted-lists.js';
import { IndexPQ } from '../indexes/index-pq.js';
import { IndexPreTransform } from '../indexes/index-pretransform.js';
import type { Index } from '../indexes/index.js';
import { NormalizationTransform } from '../normalization.js';
import { OPQMatrix } from '../opq.js';
import type { ProductQuantizer } from '../product-quantizer.js';
import { bytesOf } from './bytes.js';

/** Bytes of unpacked codes hashed per update (fast-scan lists). */
const DIGEST_PIECE_BYTES = 64 * 1024;

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

/**
 * An IVF index's lists as the digest takes them: their sizes and one hash of every non-empty list's codes (one entry
 * of codeSize bytes after another, whatever the stored layout) and ids, in list order. Built from an index's lists,
 * or list by list as a reader reads them (the write self-check reads its bytes back without keeping the lists).
 */
export class ListsDigest {
  readonly sizes: Int32Array;
  private readonly h = createHash('sha256');
  /** Where packed entries are unpacked for the hash, a piece at a time: the digest allocates nothing per list. */
  private scratch = new Uint8Array(DIGEST_PIECE_BYTES);

  constructor(nlist: number) {
    this.sizes = new Int32Array(nlist);
  }

  /** List `list`: its ids and its entries' codes, `stored` in `layout` (a view is fine: nothing is kept). */
  add(list: number, layout: CodeLayout, stored: Uint8Array, ids: Float64Array): void {
    const n = ids.length;
    const cs = layout.codeSize;
    this.sizes[list] = n;
    if (layout.name === 'flat') {
      this.h.update(stored.subarray(0, n * cs));
    } else {
      const per = Math.max(1, Math.floor(DIGEST_PIECE_BYTES / cs));
      if (this.scratch.length < per * cs) this.scratch = new Uint8Array(per * cs);
      for (let i0 = 0; i0 < n; i0 += per) {
        const i1 = Math.min(n, i0 + per);
        for (let i = i0; i < i1; i++) layout.get(stored, i, this.scratch, (i - i0) * cs);
        this.h.update(this.scratch.subarray(0, (i1 - i0) * cs));
      }
    }
    this.h.update(bytesOf(ids));
  }

  static of(il: InvertedLists): ListsDigest {
    const d = new ListsDigest(il.nlist);
    for (let l = 0; l < il.nlist; l++) if (il.sizes[l] > 0) d.add(l, il.layout, il.codes[l], il.ids[l].subarray(0, il.sizes[l]));
    return d;
  }

  get ntotal(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** The lists' hash (final: later adds are refused by the hash). */
  digest(): Buffer {
    this.done ??= this.h.digest();
    return this.done;
  }

  private done: Buffer | undefined;
}

/** Lists digested while reading, standing in for the lists of the (list-less) IVF indexes the reader built. */
export type ReadLists = ReadonlyMap<IndexIVF, ListsDigest>;

/**
 * The entries an index holds, counting lists read as digests (a wrapper holds its inner index's): what indexDigest
 * hashes, and what a reader digesting its lists checks a wrapper's header against.
 */
export function entries(index: Index, read: ReadLists | undefined): number {
  if (index instanceof IndexIVF && read?.has(index)) return read.get(index)!.ntotal;
  return index instanceof IndexPreTransform ? entries(index.index, read) : index.ntotal;
}

function digestAny(h: Hash, index: Index, read?: ReadLists): void {
  const lists = index instanceof IndexIVF ? read?.get(index) ?? ListsDigest.of(index.invlists) : undefined;
  h.update(index.constructor.name);
  nums(h, index.d, entries(index, read), index.isTrained ? 1 : 0, index.metric === 'ip' ? 0 : 1);
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
    digestAny(h, index.index, read);
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
    nums(h, index.invlists.codeSize);
    h.update(bytesOf(lists!.sizes));
    h.update(lists!.digest());
  } else {
    throw new LibvqError('UNSUPPORTED', `index digest: ${(index as object)?.constructor?.name ?? typeof index} is not stored in faiss files`);
  }
}

/** Hex SHA-256 of the index's stored content (see above). Equal digests: the same index, field for field. */
export function indexDigest(index: Index, read?: ReadLists): string {
  const h = createHash('sha256');
  digestAny(h, index, read);
  return h.digest('hex');
}
