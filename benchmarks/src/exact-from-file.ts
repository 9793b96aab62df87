/**
 * Exact top-k of every query over a base that stays on disk: the ground truth of the large benchmark
 * sets. The base file (headerless float32, row-major) is read in blocks; each block is searched with
 * index-core's blocked brute-force knn kernel (IndexFlat over the block, no copy; with threads, on its
 * worker pool) and the per-block results are merged into one bounded heap per query. Ties on equal
 * float32 scores go to the smaller row, as within one knn call.
 */
import { open } from 'node:fs/promises';
import { closeThreadPool, IndexFlat, LibvqError, type Matrix, type Metric } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { TopK } from '@libvq/index-core/backend';

export interface ExactTopK {
  /** queries.rows × k base row numbers, best first. */
  ids: Int32Array;
  /** The matching scores (ip: inner product; l2: squared distance). */
  scores: Float32Array;
}

/** Rows per block: 64k rows of 100 floats is 25 MB, large enough that the knn tiles stay busy. */
const BLOCK_ROWS = 65536;

export async function exactTopKOfFile(
  path: string,
  dim: number,
  queries: Matrix,
  k: number,
  metric: Metric,
  opts: { threads?: number; blockRows?: number; onProgress?: (done: number, total: number) => void; /** Bytes before the rows (a .npy header). */ offset?: number } = {},
): Promise<ExactTopK> {
  if (queries.dim !== dim) throw new LibvqError('DIMENSION_MISMATCH', `exact search: queries have dim ${queries.dim}, the base file ${path} has ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('k', 'a positive integer', k);
  const blockRows = opts.blockRows ?? BLOCK_ROWS;
  const fh = await open(path, 'r');
  try {
    const offset = opts.offset ?? 0;
    const size = (await fh.stat()).size - offset;
    if (size % (4 * dim) !== 0) throw new LibvqError('BAD_FILE', `${path}: ${size} bytes is not a whole number of float32 rows of dimension ${dim}`);
    const rows = size / (4 * dim);
    if (rows < k) throw invalidArgument('k', `at most the ${rows} base rows of ${path}`, k);
    const heaps = Array.from({ length: queries.rows }, () => new TopK(k, metric));
    const block = new Float32Array(blockRows * dim);
    for (let start = 0; start < rows; start += blockRows) {
      const n = Math.min(blockRows, rows - start);
      const view = block.subarray(0, n * dim);
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (let got = 0; got < bytes.byteLength; ) {
        const { bytesRead } = await fh.read(bytes, got, bytes.byteLength - got, offset + start * dim * 4 + got);
        if (bytesRead === 0) throw new LibvqError('BAD_FILE', `${path}: truncated while reading rows ${start}..${start + n}`);
        got += bytesRead;
      }
      // A fresh IndexFlat per block: the thread pool caches an index's shared copy by the identity of its
      // buffer, and this block buffer is reused.
      const flat = new IndexFlat(dim, metric);
      flat.threads = opts.threads ?? 1;
      flat.adoptVectors(view);
      const r = flat.searchSync(queries, { k: Math.min(k, n) });
      const kb = Math.min(k, n);
      for (let q = 0; q < queries.rows; q++) {
        const h = heaps[q];
        for (let j = 0; j < kb; j++) {
          const id = Number(r.labels[q * kb + j]);
          if (id >= 0) h.push(r.distances[q * kb + j], start + id);
        }
      }
      opts.onProgress?.(start + n, rows);
    }
    const ids = new Int32Array(queries.rows * k);
    const scores = new Float32Array(queries.rows * k);
    heaps.forEach((h, q) => h.drainInto(scores, ids, q * k));
    return { ids, scores };
  } finally {
    await fh.close();
    if ((opts.threads ?? 1) > 1) await closeThreadPool();
  }
}
