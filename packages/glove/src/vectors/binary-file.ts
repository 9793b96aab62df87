import { open, type FileHandle } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';
import { crc32 } from './crc32.js';

/**
 * The 64-byte header both cache files start with: 8 ASCII magic bytes, a u32 format version at 8,
 * file-specific little-endian fields in [12, 60), and at 60 the CRC-32 of bytes [0, 60) so that a
 * damaged size field is caught before it is trusted.
 */
export const HEADER_BYTES = 64;
const HEADER_CRC_AT = 60;

export function makeHeader(magic: string, version: number, fill: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(8, version, true);
  fill(view);
  view.setUint32(HEADER_CRC_AT, crc32(bytes.subarray(0, HEADER_CRC_AT)), true);
  return bytes;
}

export interface OpenedCache {
  fh: FileHandle;
  /** Total file size in bytes. */
  size: number;
  version: number;
  view: DataView;
}

/**
 * Opens a cache file and checks its magic and header checksum. Returns null when the file does not
 * exist (the caller builds it); throws a BAD_FILE error naming the file for anything damaged.
 */
export async function openCache(file: string, magic: string, what: string): Promise<OpenedCache | null> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LibvqError('IO', `cannot open the ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const size = (await fh.stat()).size;
    if (size < HEADER_BYTES) throw corrupt(file, what, `it has ${size} bytes, less than its ${HEADER_BYTES}-byte header (truncated?)`);
    const bytes = new Uint8Array(HEADER_BYTES);
    await readFully(fh, bytes, 0, file);
    for (let i = 0; i < 8; i++) {
      if (bytes[i] !== magic.charCodeAt(i)) throw corrupt(file, what, `its first bytes are not the magic "${magic}"`);
    }
    const view = new DataView(bytes.buffer);
    const want = view.getUint32(HEADER_CRC_AT, true);
    const got = crc32(bytes.subarray(0, HEADER_CRC_AT));
    if (got !== want) throw corrupt(file, what, `the header checksum is 0x${hex(got)}, expected 0x${hex(want)}`);
    return { fh, size, version: view.getUint32(8, true), view };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Reads exactly dest.byteLength bytes at `position` (one read may return fewer). */
export async function readFully(fh: FileHandle, dest: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < dest.length) {
    const { bytesRead } = await fh.read(dest, done, dest.length - done, position + done);
    if (bytesRead === 0) throw new LibvqError('BAD_FILE', `${file}: ended after ${position + done} bytes while ${position + dest.length} were expected (truncated)`);
    done += bytesRead;
  }
}

/** The error for a cache file that exists but cannot be trusted; deleting it makes the next load rebuild it. */
export function corrupt(file: string, what: string, why: string): LibvqError {
  return new LibvqError('BAD_FILE', `${file}: this ${what} is damaged: ${why}. Delete the file and it will be rebuilt.`);
}

export function checkCrc(file: string, what: string, section: string, bytes: Uint8Array, want: number): void {
  const got = crc32(bytes);
  if (got !== want) throw corrupt(file, what, `the checksum of its ${section} is 0x${hex(got)}, the header says 0x${hex(want)}`);
}

export function hex(v: number): string {
  return v.toString(16).padStart(8, '0');
}
