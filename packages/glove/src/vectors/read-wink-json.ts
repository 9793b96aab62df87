import { open } from 'node:fs/promises';
import { LibvqError, type LongOperationOptions } from '@libvq/index-core';
import { throwIfAborted } from '@libvq/index-core/util';
import { WinkJsonScanner, type WinkEmbeddings } from './wink-json-scanner.js';

export interface ReadWinkJsonOptions extends LongOperationOptions {
  /** Bytes read per call (default 4 MiB); tests use tiny chunks to cut every token at every place. */
  chunkSize?: number;
}

/**
 * Streams a wink-embeddings JSON file through WinkJsonScanner: reads chunks into one buffer, and moves
 * the unconsumed tail (at most one ~1 KB vector entry) to its front before the next read. onProgress
 * reports bytes read out of the file size.
 */
export async function readWinkJson(file: string, opts: ReadWinkJsonOptions = {}): Promise<WinkEmbeddings> {
  const chunkSize = opts.chunkSize ?? 4 << 20;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new LibvqError('INVALID_ARGUMENT', `chunkSize: expected a positive integer, got ${chunkSize}`);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new LibvqError('IO', `cannot open the word-vector JSON ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const total = (await fh.stat()).size;
    const scanner = new WinkJsonScanner(file);
    let buf = new Uint8Array(chunkSize * 2);
    let carry = 0; // bytes at the front of buf not consumed yet
    let pos = 0; // file offset of buf[0]
    let read = 0;
    for (;;) {
      throwIfAborted(opts.signal, `reading ${file}`);
      // A unit longer than the free space (a huge string, or tiny test chunks): grow the buffer.
      if (buf.length - carry < chunkSize) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, carry + chunkSize));
        bigger.set(buf.subarray(0, carry));
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, chunkSize, read);
      read += bytesRead;
      const end = carry + bytesRead;
      const final = bytesRead === 0 || read >= total;
      const used = scanner.feed(buf, end, pos, final);
      opts.onProgress?.(read, total);
      if (final) break;
      buf.copyWithin(0, used, end);
      carry = end - used;
      pos += used;
    }
    return scanner.finish();
  } finally {
    await fh.close();
  }
}
