import type { FileHandle } from 'node:fs/promises';
import type { FixedSizeList, RecordBatch } from 'apache-arrow';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { bytesOf, checkMatrix, createRng, invalidArgument, sampleWithoutReplacement } from '@libvq/index-core/util';
import { vectorColumnData, vectorColumnOf } from '../arrow/embeddings.js';
import { openArrowBatches } from '../arrow/ipc.js';
import { fileSize, openForRead, readExactly } from '../io/read-file.js';
import { fvecsGeometry } from './fvecs.js';
import { readNpyHeader } from './npy.js';
import { vectorFormat, type ReadVectorsOptions } from './vector-files.js';

/*
 * Vector files read a batch at a time, so a corpus larger than memory can be trained on (a seeded sample)
 * and added (batch by batch) with memory bounded by one batch. .npy / .memmap / .fvecs are fixed-stride
 * and read by offset; Arrow IPC files (and streams) are read record batch by record batch.
 */

/** One batch: rows [start, start + matrix.rows) of the file. */
export interface VectorBatch {
  start: number;
  matrix: Matrix;
}

export interface VectorSource {
  readonly path: string;
  readonly rows: number;
  readonly dim: number;
  /**
   * The file's rows in order, `batchRows` at a time (the last batch may be shorter). Values are checked finite.
   * `range`: only rows [start, end) (a shard of the file; batch starts stay file row numbers).
   */
  batches(batchRows: number, range?: RowSpan): AsyncGenerator<VectorBatch>;
  close(): Promise<void>;
}

/** Default rows per batch: ~64 MB of float32, at least 1,024 rows. */
export function defaultBatchRows(dim: number): number {
  return Math.max(1024, Math.floor((64 << 20) / (4 * dim)));
}

/** Rows [start, end) of a file. */
interface RowSpan {
  start: number;
  end: number;
}

function checkBatchRows(batchRows: number): void {
  if (!Number.isInteger(batchRows) || batchRows < 1) throw invalidArgument('batchRows', 'a positive integer', batchRows);
}

/** The rows a batches() call reads: `range` checked against the file's rows, or all of them. */
function rowsToRead(path: string, rows: number, range: RowSpan | undefined): RowSpan {
  if (range === undefined) return { start: 0, end: rows };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > rows) {
    throw invalidArgument(`row range of ${path}`, `0 <= start <= end <= ${rows} (the file's rows)`, `[${start}, ${end})`);
  }
  return { start, end };
}

/** Where row r's values start, how many bytes a row takes, and how its elements are stored (also row-reader.ts's). */
export interface Layout {
  rows: number;
  dim: number;
  offset: number;
  rowBytes: number;
  /** Bytes before the row's values (fvecs: its int32 dimension, which must equal dim). */
  prefix: 0 | 4;
  elem: 'f4' | 'f8';
}

class StridedSource implements VectorSource {
  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly layout: Layout,
  ) {}

  get rows(): number {
    return this.layout.rows;
  }

  get dim(): number {
    return this.layout.dim;
  }

  async *batches(batchRows: number, range?: RowSpan): AsyncGenerator<VectorBatch> {
    checkBatchRows(batchRows);
    const { dim, offset, rowBytes, prefix, elem } = this.layout;
    const { start: first, end } = rowsToRead(this.path, this.layout.rows, range);
    const plain = prefix === 0 && elem === 'f4';
    // One scratch buffer reused by every batch of a non-float32 or prefixed layout.
    const scratch = plain ? null : new ArrayBuffer(Math.min(batchRows, end - first) * rowBytes);
    for (let start = first; start < end; start += batchRows) {
      const n = Math.min(batchRows, end - start);
      const data = new Float32Array(n * dim);
      const what = `rows ${start}..${start + n - 1}`;
      if (plain) {
        await readExactly(this.fh, bytesOf(data), offset + start * rowBytes, this.path, what);
      } else {
        await readExactly(this.fh, new Uint8Array(scratch!, 0, n * rowBytes), offset + start * rowBytes, this.path, what);
        if (prefix === 4) {
          const ints = new Int32Array(scratch!, 0, (n * rowBytes) / 4);
          const floats = new Float32Array(scratch!, 0, (n * rowBytes) / 4);
          const rowInts = rowBytes / 4;
          for (let i = 0; i < n; i++) {
            if (ints[i * rowInts] !== dim) throw new LibvqError('BAD_FILE', `${this.path}: row ${start + i} declares dimension ${ints[i * rowInts]}, row 0 declared ${dim}`);
            data.set(floats.subarray(i * rowInts + 1, (i + 1) * rowInts), i * dim);
          }
        } else {
          data.set(new Float64Array(scratch!, 0, n * dim));
        }
      }
      const matrix = { rows: n, dim, data };
      checkMatrix(matrix, this.path, undefined, start);
      yield { start, matrix };
    }
  }

  close(): Promise<void> {
    return this.fh.close().catch(() => undefined);
  }
}

export async function stridedLayout(fh: FileHandle, path: string, format: 'npy' | 'fvecs' | 'memmap', dimOpt: number | undefined): Promise<Layout> {
  const size = await fileSize(fh);
  if (format === 'npy') {
    const h = await readNpyHeader(fh, size, path);
    const item = h.descr === '<f4' ? 4 : 8;
    return { rows: h.rows, dim: h.dim, offset: h.dataOffset, rowBytes: item * h.dim, prefix: 0, elem: h.descr === '<f4' ? 'f4' : 'f8' };
  }
  if (format === 'memmap') {
    if (dimOpt === undefined) throw new LibvqError('INVALID_ARGUMENT', `${path}: a .memmap file has no header; pass the vector dimension (dim)`);
    if (!Number.isInteger(dimOpt) || dimOpt <= 0) throw invalidArgument('dim', 'a positive integer', dimOpt);
    if (size % (4 * dimOpt) !== 0) {
      throw new LibvqError('BAD_FILE', `${path}: ${size} bytes is not a whole number of float32 rows of dimension ${dimOpt} (${4 * dimOpt} bytes each): truncated, or the wrong dim`);
    }
    return { rows: size / (4 * dimOpt), dim: dimOpt, offset: 0, rowBytes: 4 * dimOpt, prefix: 0, elem: 'f4' };
  }
  const { rows, dim } = await fvecsGeometry(fh, path);
  return { rows, dim, offset: 0, rowBytes: 4 * (dim + 1), prefix: 4, elem: 'f4' };
}

/** Arrow IPC: the rows come from the validated structure (no data pass); each pass re-reads one record batch at a time. */
class ArrowSource implements VectorSource {
  private constructor(
    readonly path: string,
    private readonly column: string,
    readonly rows: number,
    readonly dim: number,
  ) {}

  static async open(path: string, opts: ReadVectorsOptions): Promise<ArrowSource> {
    const a = await openArrowBatches(path);
    try {
      const column = vectorColumnOf(a.schema, opts.column, opts.dim, path);
      const dim = (a.schema.fields.find((f) => f.name === column)!.type as FixedSizeList).listSize;
      return new ArrowSource(path, column, a.rows, dim);
    } finally {
      await a.close();
    }
  }

  async *batches(batchRows: number, range?: RowSpan): AsyncGenerator<VectorBatch> {
    checkBatchRows(batchRows);
    const { start: first, end } = rowsToRead(this.path, this.rows, range);
    if (first === end) return;
    const a = await openArrowBatches(this.path);
    const dim = this.dim;
    try {
      // Record batches are re-cut to batchRows: `pending` collects rows until a batch is full. Record batches
      // before `first` are read (a stream has no index to seek by) but not copied or checked.
      let pending = new Float32Array(Math.min(batchRows, end - first) * dim);
      let filled = 0;
      let start = first;
      let seen = 0;
      for await (const b of a.batches as AsyncIterable<RecordBatch>) {
        const bStart = seen;
        seen += b.numRows;
        if (seen <= first) continue;
        if (bStart >= end) break;
        const values = vectorColumnData(b, this.column, this.path, bStart);
        for (let at = Math.max(0, first - bStart); at < b.numRows && start + filled < end; ) {
          const take = Math.min(b.numRows - at, batchRows - filled, end - start - filled);
          pending.set(values.subarray(at * dim, (at + take) * dim), filled * dim);
          filled += take;
          at += take;
          if (filled === batchRows) {
            const matrix = { rows: filled, dim, data: pending };
            checkMatrix(matrix, this.path, undefined, start);
            yield { start, matrix };
            start += filled;
            filled = 0;
            pending = new Float32Array(Math.min(batchRows, end - start) * dim);
          }
        }
      }
      if (start + filled !== end) throw new LibvqError('BAD_FILE', `${this.path}: changed while being read (${this.rows} rows counted, ${seen} read)`);
      if (filled > 0) {
        const matrix = { rows: filled, dim, data: pending.subarray(0, filled * dim) };
        checkMatrix(matrix, this.path, undefined, start);
        yield { start, matrix };
      }
    } finally {
      await a.close();
    }
  }

  async close(): Promise<void> {}
}

/**
 * Opens a vector file for batch-by-batch reading: .npy (float32/float64, C order), .memmap (needs dim),
 * .fvecs, or an Arrow IPC file or stream (.arrow/.arrows/.feather/.ipc). Sizes are verified up front; values when read.
 */
export async function openVectors(path: string, opts: ReadVectorsOptions = {}): Promise<VectorSource> {
  const format = vectorFormat(path);
  let src: VectorSource;
  if (format === 'arrow') src = await ArrowSource.open(path, opts);
  else {
    const fh = await openForRead(path);
    try {
      src = new StridedSource(path, fh, await stridedLayout(fh, path, format, opts.dim));
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }
  if (opts.dim !== undefined && src.dim !== opts.dim) {
    await src.close();
    throw new LibvqError('DIMENSION_MISMATCH', `${path}: vectors have dimension ${src.dim}, expected ${opts.dim}`);
  }
  return src;
}

/**
 * A seeded sample of `n` rows, in file order, gathered in one pass over the file: the same seed gives the same
 * rows as `gatherRows(x, sampleWithoutReplacement(rows, n, createRng(seed)).sort())` on the whole matrix.
 * n ≥ rows gives every row.
 */
export async function sampleVectors(src: VectorSource, n: number, seed: number, batchRows = defaultBatchRows(src.dim)): Promise<Matrix> {
  if (!Number.isInteger(n) || n < 0) throw invalidArgument('sample size', 'a non-negative integer', n);
  const dim = src.dim;
  const take = Math.min(n, src.rows);
  const picked = take === src.rows ? null : sampleWithoutReplacement(src.rows, take, createRng(seed)).sort();
  const data = new Float32Array(take * dim);
  let j = 0;
  for await (const { start, matrix } of src.batches(batchRows)) {
    if (picked === null) {
      data.set(matrix.data, start * dim);
      continue;
    }
    const end = start + matrix.rows;
    for (; j < take && picked[j] < end; j++) data.set(matrix.data.subarray((picked[j] - start) * dim, (picked[j] - start + 1) * dim), j * dim);
  }
  return { rows: take, dim, data };
}
