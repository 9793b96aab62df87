import { LibvqError, type Matrix } from '@libvq/index-core';
import { firstOutOfRange, invalidArgument, normalizeRows } from '@libvq/index-core/util';

/**
 * Document embeddings that need not be in memory (issue 13: a corpus of 10^6+ teacher vectors): training reads
 * only the documents of each batch (`gather`) and walks the corpus block by block where it needs every document
 * (the 'auto' temperature's exact top-k, the re-encode write-back). @libvq/dataset's openRowReader (.npy, .fvecs,
 * .memmap files) is one; train depends only on this shape, not on the file code.
 */
export interface DocumentRows {
  readonly rows: number;
  readonly dim: number;
  /** Documents `rows` (ids, in that order, repeats allowed) as a new matrix the caller owns (may modify). */
  gather(rows: Int32Array): Matrix;
  /** Documents [start, end); may be a view of the source's storage: read-only to the caller. */
  block(start: number, end: number): Matrix;
}

/** What `docEmbeddings` may be: the whole corpus in memory, or rows read on demand. */
export type DocEmbeddings = Matrix | DocumentRows;

/** A row source (anything with gather and block) rather than a Matrix. */
export function isDocumentRows(x: DocEmbeddings): x is DocumentRows {
  return x != null && typeof (x as DocumentRows).gather === 'function' && typeof (x as DocumentRows).block === 'function';
}

/** Documents per block where the whole corpus is walked: ~16 MB of float32, at least 1,024 rows. */
export function docBlockRows(dim: number): number {
  return Math.max(1024, Math.floor((16 << 20) / (4 * dim)));
}

/** Documents [start, end) of either kind (a Matrix: a view, no copy). */
export function documentBlock(docs: DocEmbeddings, start: number, end: number): Matrix {
  if (isDocumentRows(docs)) return checkedRows(docs.block(start, end), end - start, docs.dim, 'docEmbeddings.block', (i) => start + i);
  return { rows: end - start, dim: docs.dim, data: docs.data.subarray(start * docs.dim, end * docs.dim) };
}

/** A row source's shape against the index (its values are checked as they are read). */
export function checkDocumentRows(docs: DocumentRows, name: string, dim: number): void {
  if (!Number.isInteger(docs.rows) || docs.rows < 0 || docs.dim !== dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${name}: a row source of ${docs.rows} x ${docs.dim} documents, the index expects dimension ${dim}`);
  }
}

/** docs.gather(rows), checked: the right shape, every value finite (an error names the document id). */
export function gatherDocuments(docs: DocumentRows, rows: Int32Array): Matrix {
  return checkedRows(docs.gather(rows), rows.length, docs.dim, 'docEmbeddings.gather', (i) => rows[i]);
}

/**
 * A row source whose rows come L2-normalised (an index with metric 'cosine' scores normalised vectors): each
 * gathered batch is normalised in place (gather hands out a new matrix), each block as a copy (it may be a view).
 * Normalising a row does not depend on the other rows, so these are the rows of the whole corpus normalised.
 */
export function normalizedDocumentRows(docs: DocumentRows): DocumentRows {
  return {
    rows: docs.rows,
    dim: docs.dim,
    gather: (rows) => normalizeRows(gatherDocuments(docs, rows)),
    block: (start, end) => {
      const b = documentBlock(docs, start, end);
      return normalizeRows({ rows: b.rows, dim: b.dim, data: b.data.slice() });
    },
  };
}

function checkedRows(m: Matrix, rows: number, dim: number, what: string, idOf: (i: number) => number): Matrix {
  if (m == null || !(m.data instanceof Float32Array) || m.rows !== rows || m.dim !== dim || m.data.length !== rows * dim) {
    throw invalidArgument(what, `a Matrix of ${rows} x ${dim} float32 values`, m == null ? m : `${m.rows} x ${m.dim} (${m.data?.length} values)`);
  }
  const i = firstOutOfRange(m.data);
  if (i >= 0) {
    const r = Math.floor(i / dim);
    throw new LibvqError('NON_FINITE', `docEmbeddings: document ${idOf(r)}, component ${i - r * dim} is ${m.data[i]} (vectors must be finite, within ±1e15)`);
  }
  return m;
}
