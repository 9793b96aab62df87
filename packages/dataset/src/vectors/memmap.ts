import { LibvqError, type Matrix } from '@libvq/index-core';
import { bytesOf, checkMatrix, invalidArgument, writeFileAtomic } from '@libvq/index-core/util';
import { fileSize, openForRead, readExactly } from '../io/read-file.js';

/**
 * LibVQ's `.memmap` embeddings: headerless little-endian float32, row-major (numpy.memmap). Nothing in the
 * file says the dimension, so the caller must; a size that is not a whole number of rows is refused.
 */
export async function readMemmap(path: string, dim: number | undefined): Promise<Matrix> {
  if (dim === undefined) {
    throw new LibvqError('INVALID_ARGUMENT', `${path}: a .memmap file has no header; pass the vector dimension (dim)`);
  }
  if (!Number.isInteger(dim) || dim <= 0) throw invalidArgument('dim', 'a positive integer', dim);
  const fh = await openForRead(path);
  try {
    const size = await fileSize(fh);
    if (size % (4 * dim) !== 0) {
      throw new LibvqError('BAD_FILE', `${path}: ${size} bytes is not a whole number of float32 rows of dimension ${dim} (${4 * dim} bytes each): truncated, or the wrong dim`);
    }
    const rows = size / (4 * dim);
    const data = new Float32Array(rows * dim);
    await readExactly(fh, bytesOf(data), 0, path, 'the float32 data');
    const m = { rows, dim, data };
    checkMatrix(m, path);
    return m;
  } finally {
    await fh.close();
  }
}

export async function writeMemmap(path: string, m: Matrix): Promise<void> {
  checkMatrix(m, 'writeMemmap matrix');
  await writeFileAtomic(path, [m.data]);
}
