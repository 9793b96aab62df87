import { createReadStream } from 'node:fs';
import { constants as bufferConstants, isUtf8 } from 'node:buffer';
import { LibvqError } from '@libvq/index-core';
import { throwIfAborted } from '@libvq/index-core/util';
import { firstInvalidLine, wholeCharsEnd } from './utf8.js';

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
  /**
   * Longest line accepted, in bytes (default and maximum: the longest string JavaScript can hold, about 512 MiB;
   * a UTF-8 line of at most that many bytes always fits in one string). A longer line is an error naming it.
   */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const NO_BYTES = Buffer.alloc(0);

/**
 * Streams a UTF-8 text file as batches of lines, in time linear in the file's size and memory linear in its longest
 * line: lines are cut at '\n' on the raw bytes (a '\n' byte never occurs inside a multi-byte UTF-8 character), the
 * lines wholly inside a chunk are validated and decoded in one call, and a line spanning chunks is decoded piece by
 * piece into a list of strings joined once, at its end (re-joining and re-splitting the growing text per chunk made
 * one long line quadratic). A leading BOM is dropped, a '\r' before '\n' is dropped (LF or CRLF files), a '\r'
 * anywhere else is refused (old-Mac CR-only line ends), and invalid UTF-8 is an error naming the file and line. The
 * final line needs no newline; an empty file has no lines.
 */
export async function* readLineBatches(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<LineBatch> {
  const { signal, chunkSize = 1 << 20 } = opts;
  const maxLineBytes = checkMaxLineBytes(opts.maxLineBytes);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new LibvqError('INVALID_ARGUMENT', `readLineBatches(${path}): chunkSize: expected a positive integer, got ${chunkSize}`);
  }
  // The line being read when it spans chunks: its text so far, its byte count, and the bytes of a character cut
  // off at the end of the last piece (at most 3), decoded with the next piece.
  const pending: string[] = [];
  let pendingBytes = 0;
  let cutChar: Buffer = NO_BYTES;
  let pendingEndsInCR = false;
  let lineNo = 1;
  let bytesRead = 0;

  const tooLong = (bytes: number, line: number): LibvqError =>
    new LibvqError('BAD_FILE', `${path}:${line}: line is longer than ${maxLineBytes} bytes (at least ${bytes}); expected a text file with LF or CRLF line ends and lines of at most ${maxLineBytes} bytes`);

  // Buffer#toString makes one-byte strings of ASCII text (TextDecoder makes two-byte ones: twice the memory), but it
  // replaces invalid bytes silently, so isUtf8 checks them first.
  const decode = (bytes: Buffer, firstLine: number): string => {
    if (!isUtf8(bytes)) throw new LibvqError('BAD_FILE', `${path}:${firstLine + firstInvalidLine(bytes)}: invalid UTF-8`);
    return bytes.toString('utf8');
  };

  /** More bytes of the current line, which goes on past them. */
  const append = (piece: Buffer): void => {
    if (piece.length === 0) return;
    if (pendingBytes + piece.length > maxLineBytes) throw tooLong(pendingBytes + piece.length, lineNo);
    // A CR is allowed only right before the '\n'. A CR-only file never reaches a '\n': this fails at its first CR
    // instead of collecting the whole file as one line.
    const cr = piece.indexOf(CR);
    if (pendingEndsInCR || (cr >= 0 && cr < piece.length - 1)) throw loneCR(path, lineNo);
    pendingEndsInCR = cr === piece.length - 1;
    pendingBytes += piece.length;
    const bytes = cutChar.length > 0 ? Buffer.concat([cutChar, piece]) : piece;
    const end = wholeCharsEnd(bytes);
    pending.push(decode(bytes.subarray(0, end), lineNo));
    // Copied so that the whole chunk is not kept alive for its last few bytes.
    cutChar = Buffer.from(bytes.subarray(end));
  };

  /** Ends the current line with `tail` (its last bytes). */
  const takeLine = (tail: Buffer): string => {
    const total = pendingBytes + tail.length;
    if (total > maxLineBytes) throw tooLong(total, lineNo);
    let line: string;
    if (pending.length === 0) {
      line = decode(tail, lineNo);
    } else {
      pending.push(decode(cutChar.length > 0 ? Buffer.concat([cutChar, tail]) : tail, lineNo));
      line = pending.join('');
      pending.length = 0;
      pendingBytes = 0;
      cutChar = NO_BYTES;
      pendingEndsInCR = false;
    }
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    return cleanLine(line, path, lineNo);
  };

  let stream: AsyncIterable<Buffer>;
  try {
    stream = createReadStream(path, { highWaterMark: chunkSize });
  } catch (err) {
    throw new LibvqError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    for await (const chunk of stream) {
      throwIfAborted(signal, `reading ${path}`);
      bytesRead += chunk.length;
      const first = chunk.indexOf(LF);
      if (first < 0) {
        append(chunk);
        continue;
      }
      const batchStart = lineNo;
      const lines = [takeLine(chunk.subarray(0, first))];
      lineNo++;
      const last = chunk.lastIndexOf(LF);
      if (last > first) {
        const middle = chunk.subarray(first + 1, last);
        if (middle.length > maxLineBytes) checkLineLengths(middle, lineNo, maxLineBytes, tooLong);
        const parts = decode(middle, lineNo).split('\n');
        for (let i = 0; i < parts.length; i++) lines.push(cleanLine(parts[i], path, lineNo + i));
        lineNo += parts.length;
      }
      append(chunk.subarray(last + 1));
      yield { firstLine: batchStart, lines, bytesRead };
    }
  } catch (err) {
    if (err instanceof LibvqError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new LibvqError('IO', `cannot read ${path}: ${why}`, { cause: err });
  }
  if (pendingBytes > 0) {
    const line = takeLine(NO_BYTES);
    // A last line that is empty once its CR is dropped (a final lone "\r") adds no line.
    if (line.length > 0) yield { firstLine: lineNo, lines: [line], bytesRead };
  }
}

function checkMaxLineBytes(value: number | undefined): number {
  const limit = bufferConstants.MAX_STRING_LENGTH;
  if (value === undefined) return limit;
  if (!Number.isInteger(value) || value < 1 || value > limit) {
    throw new LibvqError('INVALID_ARGUMENT', `maxLineBytes: expected an integer from 1 to ${limit} (the longest JavaScript string), got ${value}`);
  }
  return value;
}

/** Drops the '\r' of a CRLF line end and refuses any other CR. */
function cleanLine(line: string, path: string, lineNo: number): string {
  const cr = line.indexOf('\r');
  if (cr < 0) return line;
  if (cr === line.length - 1) return line.slice(0, cr);
  throw loneCR(path, lineNo);
}

/**
 * A '\r' left inside a line is an old-Mac (CR-only) line end or a stray CR. Either way the file's lines are not
 * what they look like (a CR-only collection would be read as one line), so it is refused, naming the line.
 */
function loneCR(path: string, lineNo: number): LibvqError {
  return new LibvqError('BAD_FILE', `${path}:${lineNo}: a carriage return (\\r) inside a line: the file has old-Mac (CR-only) line ends or a stray CR; convert it to LF or CRLF line ends (e.g. tr '\\r' '\\n')`);
}

/** Throws for the first line of `bytes` (whole lines, '\n'-separated) longer than `max` bytes. */
function checkLineLengths(bytes: Buffer, firstLine: number, max: number, tooLong: (bytes: number, line: number) => LibvqError): void {
  let start = 0;
  for (let line = firstLine; start <= bytes.length; line++) {
    let end = bytes.indexOf(LF, start);
    if (end < 0) end = bytes.length;
    if (end - start > max) throw tooLong(end - start, line);
    start = end + 1;
  }
}
