import { open, type FileHandle } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';

/** Opens a file for reading; a missing or unreadable file becomes a LibvqError naming it. */
export async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new LibvqError('IO', `cannot read ${path}: ${why}`, { cause: err });
  }
}

// fs reads are limited to 2 GiB per call; big payloads are read in slices.
const SLICE = 1 << 28;

/**
 * Fills `target` from the file starting at byte `position`; fewer bytes than asked means the file is
 * truncated, which is reported with what was being read.
 */
export async function readExactly(fh: FileHandle, target: Uint8Array, position: number, path: string, what: string): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    const len = Math.min(SLICE, target.byteLength - done);
    const { bytesRead } = await fh.read(target, done, len, position + done);
    if (bytesRead === 0) {
      throw new LibvqError('BAD_FILE', `${path}: truncated: ${what} needs ${target.byteLength} bytes at offset ${position}, the file ends after ${done}`);
    }
    done += bytesRead;
  }
}

/** Size of an open file in bytes. */
export async function fileSize(fh: FileHandle): Promise<number> {
  return (await fh.stat()).size;
}
