import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { LibvqError } from '@libvq/index-core';

/**
 * Writes chunks to `path` through a temporary sibling file and a rename, so a reader never sees a
 * half-written file (a crash leaves only the temporary, which is removed when the write fails).
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      // writev takes many buffers per call; batches keep the iovec count reasonable.
      for (let i = 0; i < chunks.length; i += 512) await fh.writev(chunks.slice(i, i + 512));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new LibvqError('IO', `could not write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
