import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';
import { removeStaleTemporaries, temporarySibling } from '@libvq/index-core/util';

/**
 * Runs `fill` on a temporary sibling of `path`, syncs it and renames it into place, so a reader never
 * sees a half-written file; when fill throws the final path is untouched and the temporary is removed. A
 * process killed mid-write cannot remove its temporary: the next write of the same path does
 * (removeStaleTemporaries).
 */
export async function writeAtomic(path: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  removeStaleTemporaries(path);
  const tmp = temporarySibling(path);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'w');
    await fill(fh);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    if (err instanceof LibvqError) throw err;
    throw new LibvqError('IO', `could not write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes all of `chunks` at the handle's current position (writev, a bounded number of buffers per call). */
export async function writeChunks(fh: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += 512) await fh.writev(chunks.slice(i, i + 512));
}

/** Byte view of any typed array (no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes chunks to `path` atomically (temporary name, then rename). */
export async function writeFileAtomic(path: string, chunks: readonly ArrayBufferView[]): Promise<void> {
  await writeAtomic(path, (fh) => writeChunks(fh, chunks.map(bytesOf)));
}
