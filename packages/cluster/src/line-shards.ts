import { createReadStream } from 'node:fs';
import { LibvqError } from '@libvq/index-core';

/** Lines [firstLine, endLine) of a text file (0-based), at bytes [byteStart, byteEnd). */
export interface LineShard {
  readonly firstLine: number;
  readonly endLine: number;
  readonly byteStart: number;
  readonly byteEnd: number;
}

/**
 * Cuts a text file into runs of `shardLines` lines, by one pass over its bytes counting newlines (at disk speed,
 * no decoding): each shard's job then reads exactly its byte range.
 */
export async function planLineShards(path: string, shardLines: number): Promise<LineShard[]> {
  const starts: number[] = [0];
  let line = 0;
  let pos = 0;
  let lastByte = -1;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
        line++;
        if (line % shardLines === 0) starts.push(pos + i + 1);
      }
      pos += chunk.length;
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
    }
  } catch (e) {
    throw new LibvqError('IO', `${path}: cannot read it (${(e as Error).message})`, { cause: e });
  }
  const lines = pos === 0 || lastByte === 10 ? line : line + 1; // a last line without a newline still counts
  if (starts.at(-1) === pos) starts.pop(); // the file ends exactly at a shard boundary
  return starts.map((b, i) => ({
    firstLine: i * shardLines,
    endLine: Math.min(lines, (i + 1) * shardLines),
    byteStart: b,
    byteEnd: i + 1 < starts.length ? starts[i + 1] : pos,
  }));
}
