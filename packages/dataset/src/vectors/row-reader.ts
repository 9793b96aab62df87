import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { bytesOf, checkMatrix, firstOutOfRange, invalidArgument } from '@libvq/index-core/util';
import { openForRead } from '../io/read-file.js';
import { vectorFormat } from './vector-files.js';
import { stridedLayout, type Layout } from './vector-source.js';

/*
 * Random access to the rows of a vector file, synchronously, without holding the file in memory: training reads
 * the documents of each batch (a few hundred random rows) from a corpus that may not fit in memory (issue 13).
 * Only fixed-stride files can be read this way (.npy, .fvecs, .memmap: row r lies at a computable offset); an
 * Arrow file's rows are in record batches of varying sizes, so it is refused with how to convert it.
 *
 * The reads are plain fs.readSync at offsets (no mmap in Node without a native module): the rows asked for are
 * sorted and read in runs, a run covering rows that lie close together (gaps up to GAP_BYTES are read through,
 * since one system call costs more than copying a few KB), through one buffer of bounded size. The page cache
 * does the rest: a corpus that fits in RAM is read from memory after the first pass, one that does not is read
 * from disk, and the process's own memory stays the buffer plus what the caller asked for.
 */

export interface RowReaderOptions {
  /** Required for .memmap (headerless); elsewhere, checked against the file. */
  dim?: number;
  /** Bytes of the read buffer (default 1 MiB; at least one row). The memory a gather uses beyond its output. */
  bufferBytes?: number;
}

export interface RowReader {
  readonly path: string;
  readonly rows: number;
  readonly dim: number;
  /**
   * The given rows, in the given order (repeats allowed), as a new matrix (or into `out`, which must hold
   * rows.length × dim floats; the returned matrix is a view of it). Values are checked finite and within ±1e15.
   */
  gather(rows: ArrayLike<number>, out?: Float32Array): Matrix;
  /** Rows [start, end) as a new matrix (or into `out`), checked as gather's. */
  block(start: number, end: number, out?: Float32Array): Matrix;
  /** Releases the file descriptor (idempotent); reads after it throw. */
  close(): void;
}

/** Gaps between wanted rows up to this many bytes are read through (one read instead of two). */
const GAP_BYTES = 4096;
const DEFAULT_BUFFER_BYTES = 1 << 20;
/** fs reads are limited to 2 GiB per call. */
const MAX_READ = 1 << 30;

class StridedRowReader implements RowReader {
  private fd: number | null;
  private readonly buf: ArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  /** Rows one buffer holds. */
  private readonly bufRows: number;

  constructor(
    readonly path: string,
    fd: number,
    private readonly layout: Layout,
    bufferBytes: number,
  ) {
    this.fd = fd;
    this.bufRows = Math.max(1, Math.floor(bufferBytes / layout.rowBytes));
    this.buf = new ArrayBuffer(this.bufRows * layout.rowBytes);
    this.bytes = new Uint8Array(this.buf);
    // Views over the whole buffer: a row's values start at a multiple of 4 (f4, fvecs) or 8 (f8) bytes from its
    // run's start, which is byte 0 of the buffer, so every row is an aligned subarray of one of them.
    this.f32 = new Float32Array(this.buf, 0, this.buf.byteLength >> 2);
    this.f64 = new Float64Array(this.buf, 0, this.buf.byteLength >> 3);
    this.i32 = new Int32Array(this.buf, 0, this.buf.byteLength >> 2);
  }

  get rows(): number {
    return this.layout.rows;
  }

  get dim(): number {
    return this.layout.dim;
  }

  gather(rows: ArrayLike<number>, out?: Float32Array): Matrix {
    const n = rows.length;
    const { dim, rows: total, rowBytes } = this.layout;
    const data = this.output(n, out);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= total) throw invalidArgument(`rows[${i}]`, `a row of ${this.path} (0..${total - 1})`, r);
    }
    const order = sortedOrder(rows);
    const gapRows = Math.floor(GAP_BYTES / rowBytes);
    for (let a = 0; a < n; ) {
      // A run: sorted positions a..b-1 whose rows lie within one buffer and no more than gapRows apart.
      const first = rows[order[a]];
      let last = first;
      let b = a + 1;
      while (b < n) {
        const r = rows[order[b]];
        if (r - last > gapRows + 1 || r - first >= this.bufRows) break;
        last = r;
        b++;
      }
      this.readRun(first, last + 1);
      for (let t = a; t < b; t++) {
        const pos = order[t];
        this.copyRow(rows[pos] - first, rows[pos], data, pos * dim);
      }
      a = b;
    }
    return { rows: n, dim, data };
  }

  block(start: number, end: number, out?: Float32Array): Matrix {
    const { dim, rows: total, offset, rowBytes, prefix, elem } = this.layout;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > total) {
      throw invalidArgument('block', `rows start..end within 0..${total} of ${this.path}`, `${start}..${end}`);
    }
    const n = end - start;
    const data = this.output(n, out);
    if (prefix === 0 && elem === 'f4') {
      // Float32 without row prefixes: read straight into the output, no buffer.
      const target = bytesOf(data);
      for (let done = 0; done < target.byteLength; ) {
        const len = Math.min(MAX_READ, target.byteLength - done);
        this.readAt(target.subarray(done, done + len), offset + start * rowBytes + done, start + Math.floor(done / rowBytes));
        done += len;
      }
      const m = { rows: n, dim, data };
      checkMatrix(m, this.path, undefined, start);
      return m;
    }
    for (let r0 = start; r0 < end; r0 += this.bufRows) {
      const r1 = Math.min(end, r0 + this.bufRows);
      this.readRun(r0, r1);
      for (let r = r0; r < r1; r++) this.copyRow(r - r0, r, data, (r - start) * dim);
    }
    return { rows: n, dim, data };
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }

  private output(n: number, out: Float32Array | undefined): Float32Array {
    const len = n * this.layout.dim;
    if (out === undefined) return new Float32Array(len);
    if (!(out instanceof Float32Array) || out.length < len) throw invalidArgument('out', `a Float32Array of at least ${n} x ${this.layout.dim} = ${len} floats`, out);
    return out.subarray(0, len);
  }

  /** Reads rows [r0, r1) (at most bufRows) into the start of the buffer. */
  private readRun(r0: number, r1: number): void {
    const { offset, rowBytes } = this.layout;
    this.readAt(this.bytes.subarray(0, (r1 - r0) * rowBytes), offset + r0 * rowBytes, r0);
  }

  private readAt(target: Uint8Array, position: number, row: number): void {
    if (this.fd === null) throw new LibvqError('INVALID_ARGUMENT', `${this.path}: the row reader was closed`);
    for (let done = 0; done < target.byteLength; ) {
      const got = readSync(this.fd, target, done, target.byteLength - done, position + done);
      if (got === 0) {
        const at = row + Math.floor(done / this.layout.rowBytes);
        throw new LibvqError('BAD_FILE', `${this.path}: truncated: row ${at} lies beyond the end of the file (${position + done} bytes; it changed since it was opened)`);
      }
      done += got;
    }
  }

  /** Row `row` of the file, the `k`-th row of the buffer, into data[at..at+dim): converted, then checked. */
  private copyRow(k: number, row: number, data: Float32Array, at: number): void {
    const { dim, rowBytes, prefix, elem } = this.layout;
    if (elem === 'f8') {
      const o = (k * rowBytes) >> 3;
      data.set(this.f64.subarray(o, o + dim), at);
    } else {
      const o = (k * rowBytes + prefix) >> 2;
      if (prefix === 4 && this.i32[o - 1] !== dim) {
        throw new LibvqError('BAD_FILE', `${this.path}: row ${row} declares dimension ${this.i32[o - 1]}, row 0 declared ${dim}`);
      }
      data.set(this.f32.subarray(o, o + dim), at);
    }
    const bad = firstOutOfRange(data, at, at + dim);
    if (bad >= 0) throw new LibvqError('NON_FINITE', `${this.path}: row ${row}, component ${bad - at} is ${data[bad]} (vectors must be finite, within ±1e15)`);
  }
}

/** Positions 0..n-1 ordered by row (then position): a numeric sort of row·n + position keys where they fit exactly. */
function sortedOrder(rows: ArrayLike<number>): Int32Array {
  const n = rows.length;
  const order = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) if (rows[i] > max) max = rows[i];
  if ((max + 1) * n <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = rows[i] * n + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i] % n;
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => rows[a] - rows[b] || a - b);
  }
  return order;
}

/**
 * Opens a .npy (2-D float32/float64, C order), .fvecs or .memmap (needs dim) file for synchronous random access
 * to its rows (RowReader): gather(rows) and block(start, end). The layout and size are checked here (a truncated
 * file is refused, naming it); values when read. Arrow files are refused: convert them to .npy first.
 */
export async function openRowReader(path: string, opts: RowReaderOptions = {}): Promise<RowReader> {
  const format = vectorFormat(path);
  if (format === 'arrow') {
    throw new LibvqError(
      'UNSUPPORTED',
      `${path}: random row access (openRowReader) needs a fixed-stride vector file (.npy, .fvecs or .memmap); an Arrow file ` +
        `stores its rows in record batches. Convert it once, e.g. writeVectors('docs.npy', (await readVectors('${path}')).matrix), or numpy.save`,
    );
  }
  const bufferBytes = opts.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  if (!Number.isInteger(bufferBytes) || bufferBytes < 1) throw invalidArgument('bufferBytes', 'a positive integer', bufferBytes);
  // The header and size checks are openVectors' (async); the reads that follow are synchronous, on a descriptor of
  // their own, whose file must still have the size the layout was checked against.
  const fh = await openForRead(path);
  let layout: Layout;
  try {
    layout = await stridedLayout(fh, path, format, opts.dim);
  } finally {
    await fh.close().catch(() => undefined);
  }
  if (opts.dim !== undefined && layout.dim !== opts.dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${path}: vectors have dimension ${layout.dim}, expected ${opts.dim}`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new LibvqError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const size = fstatSync(fd).size;
  const want = layout.offset + layout.rows * layout.rowBytes;
  if (size !== want) {
    closeSync(fd);
    throw new LibvqError('BAD_FILE', `${path}: ${size} bytes, expected ${want} (${layout.rows} rows): the file changed while being opened`);
  }
  return new StridedRowReader(path, fd, layout, Math.max(bufferBytes, layout.rowBytes));
}
