import type { FileHandle } from 'node:fs/promises';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { checkMatrix, writeAtomic } from '@libvq/index-core/util';
import { fileSize, openForRead, readExactly } from '../io/read-file.js';

/**
 * The texmex/faiss .fvecs format: per vector, its dimension as little-endian int32, then that many
 * float32. Every row must repeat the first row's dimension; the file size must be a whole number of rows.
 */
const ROWS_PER_READ = 1 << 14;

/** Rows and dimension of an open .fvecs file, from its first dimension field and its size (checked whole). */
export async function fvecsGeometry(fh: FileHandle, path: string): Promise<{ rows: number; dim: number }> {
  const size = await fileSize(fh);
  if (size === 0) throw new LibvqError('BAD_FILE', `${path}: empty .fvecs file (cannot tell the dimension)`);
  if (size < 4) throw new LibvqError('BAD_FILE', `${path}: truncated: ${size} bytes is shorter than one .fvecs dimension field`);
  const head = new Int32Array(1);
  await readExactly(fh, new Uint8Array(head.buffer), 0, path, 'the first dimension field');
  const dim = head[0];
  if (dim <= 0 || dim > 1 << 20) throw new LibvqError('BAD_FILE', `${path}: row 0 declares dimension ${dim} (expected 1..${1 << 20})`);
  const rowBytes = 4 * (dim + 1);
  if (size % rowBytes !== 0) {
    throw new LibvqError('BAD_FILE', `${path}: truncated or corrupt: ${size} bytes is not a multiple of the row size ${rowBytes} (4 + 4*${dim})`);
  }
  return { rows: size / rowBytes, dim };
}

export async function readFvecs(path: string): Promise<Matrix> {
  const fh = await openForRead(path);
  try {
    const { rows, dim } = await fvecsGeometry(fh, path);
    const rowInts = dim + 1;
    const rowBytes = 4 * rowInts;
    const data = new Float32Array(rows * dim);
    const scratch = new ArrayBuffer(Math.min(rows, ROWS_PER_READ) * rowBytes);
    for (let r0 = 0; r0 < rows; r0 += ROWS_PER_READ) {
      const n = Math.min(ROWS_PER_READ, rows - r0);
      const bytes = new Uint8Array(scratch, 0, n * rowBytes);
      await readExactly(fh, bytes, r0 * rowBytes, path, `rows ${r0}..${r0 + n - 1}`);
      const ints = new Int32Array(scratch, 0, n * rowInts);
      const floats = new Float32Array(scratch, 0, n * rowInts);
      for (let i = 0; i < n; i++) {
        if (ints[i * rowInts] !== dim) {
          throw new LibvqError('BAD_FILE', `${path}: row ${r0 + i} declares dimension ${ints[i * rowInts]}, row 0 declared ${dim}`);
        }
        data.set(floats.subarray(i * rowInts + 1, (i + 1) * rowInts), (r0 + i) * dim);
      }
    }
    const m = { rows, dim, data };
    checkMatrix(m, path);
    return m;
  } finally {
    await fh.close();
  }
}

export async function writeFvecs(path: string, m: Matrix): Promise<void> {
  checkMatrix(m, 'writeFvecs matrix');
  const rowInts = m.dim + 1;
  await writeAtomic(path, async (fh) => {
    for (let r0 = 0; r0 < m.rows; r0 += ROWS_PER_READ) {
      const n = Math.min(ROWS_PER_READ, m.rows - r0);
      const buf = new ArrayBuffer(n * rowInts * 4);
      const ints = new Int32Array(buf);
      const floats = new Float32Array(buf);
      for (let i = 0; i < n; i++) {
        ints[i * rowInts] = m.dim;
        floats.set(m.data.subarray((r0 + i) * m.dim, (r0 + i + 1) * m.dim), i * rowInts + 1);
      }
      await fh.write(new Uint8Array(buf));
    }
  });
}
