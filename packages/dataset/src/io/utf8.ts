import { isUtf8 } from 'node:buffer';

/**
 * End of the last whole UTF-8 character in `bytes`: bytes.length, or the start of a multi-byte character whose
 * continuation bytes are missing (cut off at a chunk boundary). In valid UTF-8 that is a character boundary, so the
 * bytes before it are valid on their own; in invalid UTF-8 it is some position, and the validation of the pieces
 * still fails, since pieces that are each valid join to valid UTF-8.
 */
export function wholeCharsEnd(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = n - 1;
  // A character is at most 4 bytes: look back over at most 3 continuation bytes (10xxxxxx) for its lead byte.
  while (i >= 0 && i > n - 4 && (bytes[i] & 0xc0) === 0x80) i--;
  if (i < 0) return n;
  const lead = bytes[i];
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + size > n ? i : n;
}

/** Index (0-based, counted in '\n's) of the first line of a run of whole lines that is not valid UTF-8. */
export function firstInvalidLine(bytes: Buffer): number {
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    start = end + 1;
    line++;
  }
  return line;
}
