import { createReadStream } from 'node:fs';
import { LibvqError } from '@libvq/index-core';

/** Number of lines of a file (a last line without '\n' counts), by a byte scan: for progress totals. */
export async function countLines(path: string): Promise<number> {
  let n = 0;
  let last = 0x0a;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n++;
      if (chunk.length > 0) last = chunk[chunk.length - 1];
    }
  } catch (err) {
    throw new LibvqError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return last === 0x0a ? n : n + 1;
}
