import { createReadStream } from 'node:fs';
import { LibvqError, throwIfAborted } from '@libvq/index-core';

/** A run of consecutive lines of a text file; line numbers are 1-based. */
export interface LineBatch {
  firstLine: number;
  lines: string[];
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

export interface ReadLinesOptions {
  signal?: AbortSignal;
  /** Read size in bytes (default 1 MiB). */
  chunkSize?: number;
}

/**
 * Streams a UTF-8 text file as batches of lines: the bytes are decoded chunk by chunk (a character split
 * across chunks is carried over) and cut at '\n', so memory holds one chunk, never the whole file. A
 * leading BOM is dropped, a '\r' before '\n' is dropped (LF or CRLF files), and invalid UTF-8 is an error
 * naming the file and line. The final line needs no newline; an empty file has no lines.
 */
export async function* readLineBatches(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<LineBatch> {
  const { signal, chunkSize = 1 << 20 } = opts;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let carry = '';
  let lineNo = 1;
  let bytesRead = 0;
  let stream: AsyncIterable<Buffer>;
  try {
    stream = createReadStream(path, { highWaterMark: chunkSize });
  } catch (err) {
    throw new LibvqError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const decode = (chunk: Buffer | undefined): string => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch (err) {
      // The decoder does not say where; the bad bytes are in this chunk, at or after the carried-over line.
      const bad = chunk ? firstInvalidLine(chunk) : 0;
      throw new LibvqError('BAD_FILE', `${path}:${lineNo + countNewlines(carry) + bad}: invalid UTF-8`, { cause: err });
    }
  };
  try {
    for await (const chunk of stream) {
      throwIfAborted(signal, `reading ${path}`);
      bytesRead += chunk.length;
      const text = carry + decode(chunk);
      const parts = text.split('\n');
      carry = parts.pop()!;
      if (parts.length > 0) {
        for (let i = 0; i < parts.length; i++) {
          if (parts[i].endsWith('\r')) parts[i] = parts[i].slice(0, -1);
          rejectLoneCR(parts[i], path, lineNo + i);
        }
        yield { firstLine: lineNo, lines: parts, bytesRead };
        lineNo += parts.length;
      }
      // A CR-only file never reaches a '\n': fail at its first CR instead of carrying the whole file.
      rejectLoneCR(carry.slice(0, -1), path, lineNo);
    }
  } catch (err) {
    if (err instanceof LibvqError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new LibvqError('IO', `cannot read ${path}: ${why}`, { cause: err });
  }
  carry += decode(undefined);
  if (carry.endsWith('\r')) carry = carry.slice(0, -1);
  rejectLoneCR(carry, path, lineNo);
  if (carry.length > 0) yield { firstLine: lineNo, lines: [carry], bytesRead };
}

/**
 * A '\r' left inside a line is an old-Mac (CR-only) line end or a stray CR. Either way the file's lines are not
 * what they look like (a CR-only collection would be read as one line), so it is refused, naming the line.
 */
function rejectLoneCR(line: string, path: string, lineNo: number): void {
  if (line.indexOf('\r') < 0) return;
  throw new LibvqError('BAD_FILE', `${path}:${lineNo}: a carriage return (\\r) inside a line: the file has old-Mac (CR-only) line ends or a stray CR; convert it to LF or CRLF line ends (e.g. tr '\\r' '\\n')`);
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Index (0-based, counted in '\n's) of the first line of a chunk that is not valid UTF-8 on its own. */
function firstInvalidLine(chunk: Buffer): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 0;
  while (start < chunk.length) {
    let end = chunk.indexOf(0x0a, start);
    if (end < 0) end = chunk.length;
    try {
      strict.decode(chunk.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
    line++;
  }
  return line;
}
