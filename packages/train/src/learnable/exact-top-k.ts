import { IndexFlat, LibvqError, type Matrix, type Metric } from '@libvq/index-core';
import { TopK } from '@libvq/index-core/backend';
import { checkMatrix, invalidArgument, sliceRows, throwIfAborted } from '@libvq/index-core/util';
import { docBlockRows, documentBlock, isDocumentRows, type DocEmbeddings } from './doc-rows.js';

export interface ExactTopKOptions {
  /** Documents scored at a time (default docBlockRows: ~16 MB of vectors). The result does not depend on it. */
  blockRows?: number;
  /** Threads splitting each block's queries (IndexFlat's search: the calling thread plus threads - 1 workers). */
  threads?: number;
  /** Queries whose heaps are held at once (bounds memory: about 12·k bytes each). Default 8,192. */
  queryChunk?: number;
  signal?: AbortSignal;
  /** Called after each query chunk with the queries done so far. */
  onQueries?: (done: number, total: number) => void;
}

/**
 * The exact top-k of each query over the documents (a Matrix or rows read on demand), as an IndexFlat over the
 * whole corpus would return it: n x k distances and document ids, best first, padded with -1.
 *
 * Why blocks and not one IndexFlat: the corpus may not fit in memory (a .npy read block by block) and copying it
 * into one index doubles it. Each block is searched by an IndexFlat over that block (its blocked GEMM kernel,
 * split over `threads`), and the block's results go into one bounded heap per query. The kernel scores a pair
 * the same whatever block holds the document and the heaps break ties to the lower id, so the result does not
 * depend on blockRows, queryChunk or threads.
 */
export function exactTopK(metric: Metric, q: Matrix, docs: DocEmbeddings, k: number, o: ExactTopKOptions = {}): { distances: Float32Array; labels: Float64Array } {
  const blockRows = o.blockRows ?? docBlockRows(docs.dim);
  const chunk = o.queryChunk ?? 8192;
  const threads = o.threads ?? 1;
  if (!Number.isInteger(blockRows) || blockRows < 1) throw invalidArgument('exact search blockRows', 'a positive integer', blockRows);
  if (!Number.isInteger(chunk) || chunk < 1) throw invalidArgument('exact search queryChunk', 'a positive integer', chunk);
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('exact search k', 'a positive integer', k);
  checkMatrix(q, 'exact search queries');
  if (!isDocumentRows(docs)) checkMatrix(docs, 'exact search documents');
  if (q.dim !== docs.dim) throw new LibvqError('DIMENSION_MISMATCH', `exact search: queries have dimension ${q.dim}, documents ${docs.dim}`);
  const distances = new Float32Array(q.rows * k);
  const labels = new Float64Array(q.rows * k);
  for (let c0 = 0; c0 < q.rows; c0 += chunk) {
    const c1 = Math.min(q.rows, c0 + chunk);
    const qc = sliceRows(q, c0, c1);
    const heaps: TopK[] = [];
    for (let i = c0; i < c1; i++) heaps.push(new TopK(k, metric));
    for (let s = 0; s < docs.rows; s += blockRows) {
      throwIfAborted(o.signal, 'exact search');
      const e = Math.min(docs.rows, s + blockRows);
      const kb = Math.min(k, e - s);
      const flat = new IndexFlat(docs.dim, metric);
      flat.addSync(documentBlock(docs, s, e));
      const r = flat.searchSync(qc, { k: kb, threads });
      for (let i = 0; i < qc.rows; i++) {
        const h = heaps[i];
        for (let j = i * kb; j < (i + 1) * kb; j++) if (r.labels[j] >= 0) h.push(r.distances[j], s + r.labels[j]);
      }
    }
    for (let i = 0; i < qc.rows; i++) heaps[i].drainInto(distances, labels, (c0 + i) * k);
    o.onQueries?.(c1, q.rows);
  }
  return { distances, labels };
}
